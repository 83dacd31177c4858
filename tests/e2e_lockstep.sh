#!/usr/bin/env bash
# Lockstep evaluation end to end (docs/planners.md, "Lockstep"): `sgp eval` plans a run's episodes
# together; the result must be the one of episodes planned one at a time. On hopper (episodes end
# early when it falls) with a tiny learned model, for a first-order and a sampling planner:
#   --lockstep 1 (one at a time), the default (all 6 episodes in one batch), --lockstep 4 (batches
#   of 4 and 2) and --threads 2 (3 episodes per thread) give result files identical outside their
#   timing objects, saved rollouts included (but their ep<e>_timing.npy, wall-clock times); also with
#   "weights": "bf16";
#   with the sampling planner the episodes end at different steps (some fall early and leave the
#   batch, others go on), so the early-leave path is exercised (the first-order one falls at the
#   same step in every episode).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/shell_lib.sh"
e2e_init

echo '{"type": "episodes", "n": 3000, "policy": {"type": "uniform"}}' > spec.json
"$SGP" collect hopper --spec spec.json --seed 1 --out data --threads 1 --quiet >/dev/null 2>&1 ||
  fail "collect hopper"
cat > dyn.json <<'EOF'
{"net": {"hidden": [32, 32], "act": "relu"}, "train": {"epochs": 2, "batch": 256, "lr": 0.002}}
EOF
"$SGP" train dynamics --data data --config dyn.json --out dyn.safetensors --seed 0 --quiet || fail "train"

for p in grad mppi; do
  if [[ $p == grad ]]; then pl='{"name": "grad", "horizon": 5, "iters": 8, "lr": 0.1, "restarts": 2}'
  else pl='{"name": "mppi", "horizon": 5, "samples": 32, "iters": 2}'; fi
  cat > run_$p.json <<EOF
{"env": {"name": "hopper"}, "dataset": "data", "models": {"dynamics": "dyn.safetensors"},
 "planner": $pl, "eval": {"episodes": 6, "mode": "mpc", "steps": 40}, "seed": 3}
EOF
  "$SGP" eval --config run_$p.json --out ${p}_one.json --lockstep 1 --save-rollout ${p}_one_r --quiet
  "$SGP" eval --config run_$p.json --out ${p}_all.json --save-rollout ${p}_all_r --quiet
  "$SGP" eval --config run_$p.json --out ${p}_four.json --lockstep 4 --quiet
  "$SGP" eval --config run_$p.json --out ${p}_thr.json --threads 2 --quiet
  for v in all four thr; do
    diff <(notiming ${p}_one.json) <(notiming ${p}_$v.json) > d.txt ||
      { head -20 d.txt >&2; fail "$p: --lockstep 1 and '$v' differ outside timing"; }
  done
  for f in ${p}_one_r/*.npy; do
    [[ $f == *_timing.npy ]] && continue # wall-clock times
    cmp -s "$f" "${p}_all_r/$(basename "$f")" || fail "$p: rollout $(basename "$f") differs"
  done
  ok "$p: one at a time, all 6 together, batches of 4 and 2, and 2 threads give the same result and rollouts"
done
# bfloat16 weights: also row-independent, so lockstep still equals one at a time; and they do plan
sed 's/"steps": 40}/"steps": 40, "weights": "bf16"}/' run_grad.json > run_bf16.json
"$SGP" eval --config run_bf16.json --out bf16_one.json --lockstep 1 --quiet
"$SGP" eval --config run_bf16.json --out bf16_all.json --threads 2 --quiet
diff <(notiming bf16_one.json) <(notiming bf16_all.json) > d.txt ||
  { head -20 d.txt >&2; fail "bf16: --lockstep 1 and --threads 2 differ outside timing"; }
grep -q '"weights":[[:space:]]*"bf16"' bf16_one.json || fail "bf16: the resolved config lost eval.weights"
! grep -q '"weights"' grad_one.json || fail "float32: eval.weights was inserted into the config"
ok "bf16 weights: one at a time and 2 threads give the same result; float32 configs stay as they were"
# episode objects are the only ones with an "index"; their "steps" follows it
steps=$(awk '/"index":/ { e = 1 } e && /"steps":/ { gsub(/[^0-9]/, ""); print; e = 0 }' mppi_one.json | tr '\n' ' ')
n=$(echo $steps | tr ' ' '\n' | sort -u | grep -c .)
[[ $n -ge 2 && $(echo $steps | tr ' ' '\n' | grep -cx 40) -lt 6 ]] ||
  fail "mppi: episode lengths ($steps) do not include an early end beside a longer episode"
ok "mppi: episodes ended after $steps steps (limit 40): early ends left the batch"
echo "all ok"
