#!/usr/bin/env bash
# The screenshots of docs/viewer.md (docs/img/viewer_ENV.png). For each environment: a short
# `sgp eval` of the oracle planner (MPPI on the true simulator, seed 0, one episode) with
# --save-rollout, replayed by `sgp view --rollout --result --record` at 640x480; the frame of the
# step named below is kept. The run configs are printed, so the captions can say what was run.
#   scripts/viewer_screenshots.sh [OUT_DIR]   (default docs/img; needs xvfb-run or a display)
set -euo pipefail
cd "$(dirname "$0")/.."
SGP=$(realpath "${SGP_PROG:-build/sgp}")
out=${1:-docs/img}
mkdir -p "$out"
out=$(realpath "$out")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sgp_shots.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# env, episode steps, step shown, horizon, samples, then options of sgp view
shots=(
  "point 40 10 20 64 --plots return,planner"
  "pixels 40 10 20 64"
  "cartpole 60 24 30 128 --plots action"
  "pendulum 100 30 30 64 --plots return"
  "pusher 30 8 8 32"
  "halfcheetah 60 45 15 64 --events $tmp/track.txt"
  "hopper 60 20 15 64 --events $tmp/track.txt"
  "walker2d 60 45 15 64 --events $tmp/track.txt"
)
echo '0 key T' >"$tmp/track.txt" # the tracking camera: locomotion moves out of the default view

run=()
if [[ -z "${DISPLAY:-}" ]]; then run=(xvfb-run -a -s "-screen 0 1280x1024x24"); fi
for s in "${shots[@]}"; do
  read -r env steps shown H N opts <<<"$s"
  cfg=$tmp/run_$env.json
  printf '{"env": {"name": "%s"}, "planner": {"name": "oracle", "method": "mppi", "horizon": %d, "samples": %d, "iters": 2},
 "eval": {"episodes": 1, "mode": "mpc", "steps": %d}, "seed": 0}\n' "$env" "$H" "$N" "$steps" >"$cfg"
  echo "== $env: $(tr -d '\n' <"$cfg")"
  mkdir -p "$tmp/$env"
  (cd "$tmp/$env" && "$SGP" eval --config "$cfg" --out result.json --save-rollout rollout --quiet &&
    "${run[@]}" "$SGP" view --rollout rollout --result result.json --record frames --frames $((shown + 1)) \
      --size 640x480 --quiet $opts 2>view.err) # (opts are words)
  cp "$tmp/$env/frames/frame_$(printf %05d "$shown").png" "$out/viewer_$env.png"
  echo "   $(cat "$tmp/$env/view.err")"
  echo "   step $shown -> $out/viewer_$env.png ($(stat -c %s "$out/viewer_$env.png") bytes)"
done
