#!/usr/bin/env bash
# End to end on the light-dark task (point, mud variant): collect -> train -> eval.
#  1. sgp-shooting (score penalty) plans around the hole: no planned or executed state within 0.3
#     of the origin, and it reaches the goal in the true environment;
#  2. the same planner with beta = 0 (grad) crosses the hole region;
#  3. the same run twice gives the same result file outside its timing objects;
#  4. malformed run configs are rejected with one-line errors naming file and field, and no
#     output file is left behind.
set -euo pipefail
SGP=$(realpath "${SGP_PROG:-build/sgp}")
PY=""
for p in /usr/bin/python3 python3; do
  if $p -c 'import numpy' 2>/dev/null; then PY=$p; break; fi
done
if [[ -z "$PY" ]]; then echo "SKIP e2e_eval: no python3 with numpy (scripts/deps.sh --test installs it)"; exit 0; fi
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
fail() { echo "FAIL: $*" >&2; exit 1; }

echo '{"type": "box", "n": 20000}' > spec.json
"$SGP" collect point --spec spec.json --seed 1 --out data >/dev/null 2>&1
cat > score.json <<'EOF'
{"net": {"hidden": [128, 128, 128], "act": "relu"}, "inputs": "xu", "sigma": 0.1,
 "train": {"epochs": 30, "batch": 256, "lr": 0.002}}
EOF
cat > dyn.json <<'EOF'
{"net": {"hidden": [64, 64], "act": "relu"}, "train": {"epochs": 30, "batch": 256, "lr": 0.002}}
EOF
"$SGP" train score --data data --config score.json --out score.safetensors --seed 0 --quiet
"$SGP" train dynamics --data data --config dyn.json --out dyn.safetensors --seed 0 --quiet

run_cfg() { # name planner-json
  cat > "$1.json" <<EOF
{"env": {"name": "point", "config": {"hole": "mud"}}, "dataset": "data",
 "models": {"dynamics": "dyn.safetensors", "score": "score.safetensors"},
 "planner": $2,
 "eval": {"episodes": 1, "mode": "mpc"}, "seed": 0}
EOF
}
run_cfg sgp '{"name": "sgp-shooting", "horizon": 30, "iters": 100, "lr": 0.02, "restarts": 1,
              "beta": 1, "beta_final": 0.05, "beta_schedule": "cosine"}'
run_cfg grad '{"name": "grad", "horizon": 30, "iters": 100, "lr": 0.02, "restarts": 1}'
"$SGP" eval --config sgp.json --out sgp_res.json --save-rollout sgp_roll --quiet
"$SGP" eval --config grad.json --out grad_res.json --save-rollout grad_roll --quiet
"$SGP" eval --config sgp.json --out sgp_res2.json --quiet

$PY - <<'EOF' || exit 1
import json, sys
import numpy as np
bad = 0
def check(ok, what):
    global bad
    print(("ok   " if ok else "FAIL ") + what)
    bad += not ok
def radii(roll):
    x = np.load(roll + "/ep0_x.npy")            # executed states
    p = np.load(roll + "/ep0_plan_x.npy")       # planned states at every step
    return np.sqrt((x ** 2).sum(-1)).min(), np.sqrt((p ** 2).sum(-1)).min(), x
s = json.load(open("sgp_res.json"))
g = json.load(open("grad_res.json"))
rx, rp, xs = radii("sgp_roll")
check(rx >= 0.3, "sgp-shooting: executed states keep out of the hole (min |x| = %.3f >= 0.3)" % rx)
check(rp >= 0.3, "sgp-shooting: planned states keep out of the hole (min |x| = %.3f >= 0.3)" % rp)
d = np.linalg.norm(xs[-1] - np.array([-0.8, 0.2]))
check(s["episodes"][0]["success"] and d < 0.05,
      "sgp-shooting reaches the goal in the true env (final distance %.4f)" % d)
gx, gp, _ = radii("grad_roll")
check(min(gx, gp) < 0.3, "grad (beta = 0) crosses the hole region (min |x| executed %.3f, planned %.3f)" % (gx, gp))
check(s["summary"]["normalized_score_mean"] > g["summary"]["normalized_score_mean"],
      "score: sgp-shooting %.1f > grad %.1f" % (s["summary"]["normalized_score_mean"], g["summary"]["normalized_score_mean"]))
def strip(r):
    r.pop("timing")
    for e in r["episodes"]: e.pop("timing")
    return json.dumps(r, sort_keys=True)
check(strip(s) == strip(json.load(open("sgp_res2.json"))), "same config and seed: identical result outside timing")
check(s["config"]["planner"].get("score_weight") is not None, "the resolved config records the planner defaults")
for k in ("schema_version", "config_hash", "versions", "episodes", "summary"):
    check(k in s, "result has '%s'" % k)
check("mujoco" in s["versions"] and "git" in s["versions"], "versions record mujoco and the git revision")
sys.exit(1 if bad else 0)
EOF

# ---- bad input: one line, names the file and field, non-zero exit, no output file
expect_error() { # name pattern config-text
  printf '%s' "$3" > "bad_$1.json"
  set +e
  out=$("$SGP" eval --config "bad_$1.json" --out "bad_$1_res.json" --quiet 2>&1)
  rc=$?
  set -e
  [[ $rc -ne 0 ]] || fail "$1: exit status 0"
  [[ $(printf '%s\n' "$out" | wc -l) -eq 1 ]] || fail "$1: expected one line, got: $out"
  [[ "$out" == *"$2"* ]] || fail "$1: expected '$2' in: $out"
  [[ ! -e "bad_$1_res.json" ]] || fail "$1: an output file was left behind"
  ls bad_$1_res.json.tmp.* >/dev/null 2>&1 && fail "$1: a temporary file was left behind"
  echo "ok   rejects $1: $out"
}
base='"env": {"name": "point"}, "dataset": "data", "eval": {"episodes": 1}'
expect_error syntax "bad_syntax.json: invalid JSON at line 1, column" '{"env": {"name": "point"},, }'
expect_error unknown_planner "/planner/name: unknown planner 'sgp-shootin'" "{$base, \"planner\": {\"name\": \"sgp-shootin\"}}"
expect_error missing_model "/models/score: missing" "{$base, \"models\": {\"dynamics\": \"dyn.safetensors\"}, \"planner\": {\"name\": \"sgp-shooting\"}}"
expect_error unknown_field "/planner/bta: unknown field" "{$base, \"models\": {\"dynamics\": \"dyn.safetensors\", \"score\": \"score.safetensors\"}, \"planner\": {\"name\": \"sgp-shooting\", \"bta\": 1}}"
expect_error wrong_type "/eval/episodes" '{"env": {"name": "point"}, "eval": {"episodes": "three"}, "planner": {"name": "grad"}, "models": {"dynamics": "dyn.safetensors"}}'
expect_error unknown_env "/env/name: unknown environment 'pointt'" '{"env": {"name": "pointt"}, "planner": {"name": "grad"}}'
expect_error wrong_dims "dyn.safetensors" '{"env": {"name": "cartpole"}, "planner": {"name": "grad"}, "models": {"dynamics": "dyn.safetensors"}}'
expect_error kind_mismatch "score.safetensors" '{"env": {"name": "point"}, "planner": {"name": "grad"}, "models": {"dynamics": "score.safetensors"}}'
expect_error missing_file "nothere.safetensors" '{"env": {"name": "point"}, "planner": {"name": "grad"}, "models": {"dynamics": "nothere.safetensors"}}'
echo "e2e_eval: all checks passed"
