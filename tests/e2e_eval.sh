#!/usr/bin/env bash
# End to end on the light-dark task (point, mud variant): collect -> train -> eval.
#  1. open loop (the paper's light-dark figure): sgp-shooting plans around the hole (no planned or
#     executed state within 0.3 of the origin) and its plan reaches the goal in the true
#     environment; the same planner with beta = 0 (grad) cuts through the hole region;
#  2. closed loop (MPC): sgp-shooting keeps out of the hole at every step and scores higher than
#     grad, which crosses it;
#  3. the same run twice gives the same result file outside its timing objects;
#  4. malformed run configs are rejected with one-line errors naming file and field, and no
#     output file is left behind.
# Settings are the quick preset's for point (bench/sweeps/quick.json). MPC is not asked to end
# within the success radius: near the goal the learned score's small errors steer single actions
# (docs/planners.md, "Known limits"), which the quick table's MPC success rates show.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/shell_lib.sh"
e2e_python e2e_eval numpy
e2e_init

echo '{"type": "box", "n": 20000}' > spec.json
"$SGP" collect point --spec spec.json --seed 1 --out data >/dev/null 2>&1
cat > score.json <<'EOF'
{"net": {"hidden": [128, 128, 128], "act": "silu"}, "inputs": "xu", "sigma": 0.2,
 "train": {"epochs": 30, "batch": 256, "lr": 0.001}}
EOF
cat > dyn.json <<'EOF'
{"net": {"hidden": [64, 64], "act": "relu"}, "train": {"epochs": 30, "batch": 256, "lr": 0.002}}
EOF
"$SGP" train score --data data --config score.json --out score.safetensors --seed 0 --quiet
"$SGP" train dynamics --data data --config dyn.json --out dyn.safetensors --seed 0 --quiet

run_cfg() { # name mode planner-json
  cat > "$1.json" <<EOF
{"env": {"name": "point", "config": {"hole": "mud"}}, "dataset": "data",
 "models": {"dynamics": "dyn.safetensors", "score": "score.safetensors"},
 "planner": $3,
 "eval": {"episodes": 1, "mode": "$2"}, "seed": 0}
EOF
}
SGP_PLANNER='"name": "sgp-shooting", "lr": 0.02, "restarts": 1, "beta": 1, "beta_final": 0.3, "beta_schedule": "cosine"'
run_cfg sgp_ol open_loop "{$SGP_PLANNER, \"horizon\": 0, \"iters\": 1000}"
run_cfg grad_ol open_loop '{"name": "grad", "horizon": 0, "iters": 1000, "lr": 0.02, "restarts": 1}'
run_cfg sgp mpc "{$SGP_PLANNER, \"horizon\": 30, \"iters\": 100}"
run_cfg grad mpc '{"name": "grad", "horizon": 30, "iters": 100, "lr": 0.02, "restarts": 1}'
for r in sgp_ol grad_ol sgp grad; do
  "$SGP" eval --config $r.json --out ${r}_res.json --save-rollout ${r}_roll --quiet
done
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
res = {r: json.load(open(r + "_res.json")) for r in ("sgp_ol", "grad_ol", "sgp", "grad")}
for mode, s, g in (("open loop", "sgp_ol", "grad_ol"), ("MPC", "sgp", "grad")):
    rx, rp, xs = radii(s + "_roll")
    check(rx >= 0.3, "%s sgp-shooting: executed states keep out of the hole (min |x| = %.3f >= 0.3)" % (mode, rx))
    check(rp >= 0.3, "%s sgp-shooting: planned states keep out of the hole (min |x| = %.3f >= 0.3)" % (mode, rp))
    if mode == "open loop":
        d = np.linalg.norm(xs[-1] - np.array([-0.8, 0.2]))
        check(res[s]["episodes"][0]["success"] and d < 0.05,
              "open loop sgp-shooting's plan reaches the goal in the true env (final distance %.4f < 0.05)" % d)
    gx, gp, _ = radii(g + "_roll")
    check(min(gx, gp) < 0.3, "%s grad (beta = 0) crosses the hole region (min |x| executed %.3f, planned %.3f)" % (mode, gx, gp))
    ss, gs = res[s]["summary"]["normalized_score_mean"], res[g]["summary"]["normalized_score_mean"]
    check(ss > gs, "%s score: sgp-shooting %.1f > grad %.1f" % (mode, ss, gs))
s = res["sgp"]
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
