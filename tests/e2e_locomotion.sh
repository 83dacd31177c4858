#!/usr/bin/env bash
# End to end on hopper, the paper's route for locomotion: a learned dynamics model, a learned
# running cost (planner option "cost": "learned", model "cost" of the run) and the environment's
# known termination rule in the planner's rollouts (option "termination").
#  1. collect -> train dynamics and cost -> eval with cem, mppi and grad planning on the learned
#     cost: every run finishes, the resolved planner records "cost": "learned" and "termination": "known";
#  2. the learned cost is what the planner used: the same run with the environment's cost gives
#     different actions (returns differ);
#  3. the same learned-cost run twice gives the same result outside its timing objects;
#  4. a run that asks for the learned cost without a cost model, or with a dynamics file as its
#     cost model, fails with one line naming the field or the file, and writes no result.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/shell_lib.sh"
e2e_python e2e_locomotion json
e2e_init

echo '{"type": "episodes", "n": 4000, "policy": {"type": "linear", "policy": "hopper-medium"}, "action_noise": 0.3}' > spec.json
"$SGP" collect hopper --spec spec.json --seed 1 --out data --threads 1 >/dev/null 2>&1
cat > small.json <<'EOF'
{"net": {"hidden": [64, 64], "act": "silu", "layernorm": false}, "train": {"epochs": 5, "batch": 256, "lr": 0.001}}
EOF
"$SGP" train dynamics --data data --config small.json --out dyn.safetensors --seed 0 --quiet
"$SGP" train cost --data data --config small.json --out cost.safetensors --seed 0 --quiet

run_cfg() { # name planner-json models-json
  cat > "$1.json" <<EOF
{"env": {"name": "hopper"}, "dataset": "data", "models": $3,
 "planner": $2, "eval": {"episodes": 2, "mode": "mpc", "steps": 30}, "seed": 0}
EOF
}
M='{"dynamics": "dyn.safetensors", "cost": "cost.safetensors"}'
run_cfg cem '{"name": "cem", "horizon": 5, "samples": 32, "iters": 2, "elites": 4, "cost": "learned"}' "$M"
run_cfg cem_env '{"name": "cem", "horizon": 5, "samples": 32, "iters": 2, "elites": 4}' '{"dynamics": "dyn.safetensors"}'
run_cfg mppi '{"name": "mppi", "horizon": 5, "samples": 32, "iters": 2, "cost": "learned", "termination": "none"}' "$M"
run_cfg grad '{"name": "grad", "horizon": 5, "iters": 5, "lr": 0.05, "cost": "learned"}' "$M"
for r in cem cem_env mppi grad; do "$SGP" eval --config $r.json --out ${r}_res.json --quiet; done
"$SGP" eval --config cem.json --out cem_res2.json --quiet

$PY - <<'EOF' || exit 1
import json, sys
bad = 0
def check(ok, what):
    global bad
    print(("ok   " if ok else "FAIL ") + what)
    bad += not ok
def load(n): return json.load(open(n))
for r, term in (("cem", "known"), ("mppi", "none"), ("grad", "known")):
    j = load(r + "_res.json")
    pl = j["config"]["planner"]
    check(pl["cost"] == "learned" and pl["termination"] == term, f"{r}: resolved planner cost={pl['cost']} termination={pl['termination']}")
    check(j["summary"]["failed_episodes"] == 0, f"{r}: no failed episode")
a, b = load("cem_res.json"), load("cem_env_res.json")
ra = [e["return"] for e in a["episodes"]]; rb = [e["return"] for e in b["episodes"]]
check(b["config"]["planner"]["cost"] == "env", "cem_env: cost env by default")
check(ra != rb, f"learned cost changes the plans: returns {ra} vs {rb} with the environment's cost")
def strip(o):
    if isinstance(o, dict): return {k: strip(v) for k, v in o.items() if k != "timing"}
    if isinstance(o, list): return [strip(v) for v in o]
    return o
check(strip(a) == strip(load("cem_res2.json")), "the same run twice: identical outside timing")
sys.exit(1 if bad else 0)
EOF

# bad configs: one line naming the field or the file, no result file
run_cfg nocost '{"name": "cem", "horizon": 5, "samples": 32, "iters": 2, "cost": "learned"}' '{"dynamics": "dyn.safetensors"}'
if "$SGP" eval --config nocost.json --out nocost_res.json --quiet 2> err.txt; then fail "a learned cost without a cost model must fail"; fi
grep -q 'nocost.json: /models/cost: missing' err.txt || fail "missing cost model: $(cat err.txt)"
[[ $(wc -l < err.txt) -eq 1 && ! -e nocost_res.json ]] || fail "missing cost model: one line, no result"
run_cfg wrongcost '{"name": "cem", "horizon": 5, "samples": 32, "iters": 2, "cost": "learned"}' '{"dynamics": "dyn.safetensors", "cost": "dyn.safetensors"}'
if "$SGP" eval --config wrongcost.json --out wrong_res.json --quiet 2> err.txt; then fail "a dynamics file as cost model must fail"; fi
grep -q 'dyn.safetensors' err.txt || fail "wrong cost model: $(cat err.txt)"
[[ $(wc -l < err.txt) -eq 1 && ! -e wrong_res.json ]] || fail "wrong cost model: one line, no result"
run_cfg badterm '{"name": "cem", "horizon": 5, "termination": "learned"}' '{"dynamics": "dyn.safetensors"}'
if "$SGP" eval --config badterm.json --out bad_res.json --quiet 2> err.txt; then fail "an unknown termination must fail"; fi
grep -q 'termination' err.txt || fail "unknown termination: $(cat err.txt)"
# tiers in sweeps and with --reuse (docs/behaviour-policies.md): a medium-expert concat and a
# replay pass the sweep's validation, and a concat dataset collected once is reused, not rebuilt
echo '{"type": "concat", "parts": [{"type": "episodes", "n": 300, "policy": {"type": "linear", "policy": "hopper-medium"}},
  {"type": "episodes", "n": 200, "policy": {"type": "linear", "policy": "hopper-expert"}}]}' > me.json
"$SGP" collect hopper --spec me.json --seed 2 --out me --threads 1 --reuse > out1.txt 2>&1 || fail "concat collect: $(cat out1.txt)"
"$SGP" collect hopper --spec me.json --seed 2 --out me --threads 1 --reuse > out2.txt 2>&1 || fail "concat reuse: $(cat out2.txt)"
grep -q "already holds this dataset (reused)" out2.txt || fail "a collected concat tier is not reused: $(cat out2.txt)"
tiers_sweep() { # the replay spec
  cat > tiers.json <<EOF
{"name": "tiers", "seeds": 1, "eval": {"episodes": 1, "mode": "mpc", "steps": 5}, "planner": {"horizon": 3},
 "envs": [{"name": "hopper", "datasets": [{"name": "me", "spec": $(cat me.json)}, {"name": "replay", "spec": $1}]}],
 "agents": [{"name": "cem", "planner": {"name": "cem", "samples": 16, "iters": 1, "elites": 4}}]}
EOF
}
tiers_sweep '{"type": "replay", "policy": "hopper-medium"}'
"$SGP" sweep tiers.json --list --out sw --cache cache > list.txt 2>&1 || fail "tier specs in a sweep: $(cat list.txt)"
[[ $(grep -c "sgp collect hopper" list.txt) -eq 2 ]] || fail "tier specs in a sweep: $(cat list.txt)"
tiers_sweep '{"type": "replay", "policy": "hopper-medium", "sha256": "00"}'
if "$SGP" sweep tiers.json --list --out sw --cache cache > list.txt 2> err.txt; then fail "a replay with a wrong policy hash must pass no validation"; fi
grep -q "sha256: does not match" err.txt || fail "wrong replay hash: $(cat err.txt)"

# 6. `sgp train policy`: a tiny ARS run writes the expert and medium policies and a summary that
#    records what reproduces it (the resolved config, --seed applied, the seed, the versions)
echo '{"iterations": 2, "directions": 2, "top": 2, "eval_every": 1, "eval_episodes": 1, "episode_length": 20}' > ars.json
"$SGP" train policy hopper --config ars.json --out ars --seed 7 --threads 1 --quiet > ars.txt 2>&1 || fail "train policy: $(cat ars.txt)"
[[ -s ars/expert.safetensors && -s ars/medium.safetensors ]] || fail "train policy: no expert/medium policy"
$PY - <<'EOF' || exit 1
import json
s = json.load(open("ars/summary.json"))
c = dict(json.load(open("ars.json")), seed=7)
assert {k: s["config"][k] for k in c} == c, ("config", s["config"], c)   # as given, --seed applied
assert s["config"]["step_size"] == 0.02 and s["config"]["noise"] == 0.03, s["config"]  # defaults resolved
assert s["seed"] == 7 and s["env"] == "hopper" and s["env_config"] == {"reference": "d4rl"}, s
v = s["versions"]
assert v["git"] and v["sgpbench"] and v["mujoco"] == "2.2.2", v
assert [e["iteration"] for e in s["evaluations"]] == [1, 2], s["evaluations"]
print("ok   train policy summary records config, seed and versions (git %s)" % v["git"][:12])
EOF
echo "e2e_locomotion: all checks passed"
