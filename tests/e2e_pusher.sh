#!/usr/bin/env bash
# The pusher's metrics through `sgp eval` (envs/env.h spec.metrics, docs/run-format.md): the
# true-model planner (oracle) plans with the simulator, so its plans are states a rigid box takes:
# every episode's `env_metrics.rigidity` is 0 to float rounding of the plan states, and the final
# pose errors equal those recomputed here from the saved final state (keypoint mean and corner
# direction, the target (0.20, 0.05, 20°)). An environment without metrics gets no env_metrics.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/shell_lib.sh"
e2e_python e2e_pusher numpy
e2e_init

cat > run.json <<'JSON'
{"env": {"name": "pusher"},
 "planner": {"name": "oracle", "method": "mppi", "horizon": 3, "iters": 1, "samples": 8, "temperature": 0.1},
 "eval": {"episodes": 1, "mode": "mpc", "steps": 3}, "seed": 0}
JSON
"$SGP" eval --config run.json --out result.json --save-rollout ro >/dev/null 2>&1 || fail "sgp eval pusher oracle"
"$PY" - <<'PY' || fail "pusher metrics"
import json, math, numpy as np
r = json.load(open("result.json"))
ep = r["episodes"][0]
m = ep["env_metrics"]
print("  oracle plans: rigidity %.3g m, final position error %.4f m, angle error %.3f deg" %
      (m["rigidity"], m["final_position_error"], m["final_angle_error"]))
assert m["rigidity"] < 1e-6, m
x = np.load("ro/ep0_x.npy").astype(np.float64)[-1]
kp = x[:10].reshape(5, 2)
c = kp.mean(0)
ax = (kp[0] + kp[3]) / 2 - c               # the box's +x axis: the (+a, ±b) corners
th = math.atan2(ax[1], ax[0])
pos = math.hypot(c[0] - 0.20, c[1] - 0.05)
ang = abs(math.remainder(th - math.radians(20), 2 * math.pi)) * 180 / math.pi
print("  recomputed from the saved final state: %.4f m, %.3f deg" % (pos, ang))
assert abs(pos - m["final_position_error"]) < 1e-6 and abs(ang - m["final_angle_error"]) < 1e-4
s = r["summary"]["env_metrics"]
assert s["rigidity"] == m["rigidity"] and s["final_position_error"] == m["final_position_error"]
PY
sed -e 's/"name": "pusher"/"name": "point"/' run.json > point.json
"$SGP" eval --config point.json --out point_result.json >/dev/null 2>&1 || fail "sgp eval point oracle"
grep -q env_metrics point_result.json && fail "point result has env_metrics"
echo "e2e_pusher: ok"
