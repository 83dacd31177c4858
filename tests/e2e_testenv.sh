#!/usr/bin/env bash
# e2e: a new environment needs nothing outside its .c, .xml and registry line. The test-only
# environment tests/envs/sled.c (registered only in sgp-testenvs, the sgp program of a test build)
# goes through a sweep with its own trajectory figure (time series), `sgp view --record` of the
# sweep's rollout, and its wrong or missing hooks are one-line errors naming the field. (Its
# conformance: tests/test_env_conformance.c, which links the test registry too.)
set -euo pipefail
SRC=${SGP_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
SGP=${SGP_PROG:-$SRC/build/sgp}
TSGP=${SGP_TESTENV_PROG:-$SRC/build/sgp-testenvs}
T=$(mktemp -d "${TMPDIR:-/tmp}/sgp-e2e-testenv.XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*" >&2; fails=$((fails + 1)); }

# expects: non-zero exit, ONE stderr line containing every given string
expect_error() {
  local what=$1; shift
  local -a want=()
  while [[ $1 != "--" ]]; do want+=("$1"); shift; done
  shift
  local rc=0
  env -u DISPLAY -u WAYLAND_DISPLAY "$@" >"$T/stdout" 2>"$T/stderr" || rc=$?
  local lines; lines=$(wc -l <"$T/stderr")
  local all=1
  for w in "${want[@]}"; do grep -qF -- "$w" "$T/stderr" || all=0; done
  if [[ $rc -ne 0 && $lines -eq 1 && $all -eq 1 ]]; then ok "$what: $(cat "$T/stderr")"
  else bad "$what: exit $rc, $lines stderr lines, wanted [${want[*]}]: $(cat "$T/stderr")"; fi
}

# 1. registered in the test build only
"$TSGP" list | grep -q '^  sled ' && ok "sgp-testenvs lists sled" || bad "sgp-testenvs does not list sled"
if "$SGP" list | grep -q '^  sled '; then bad "the shipped sgp lists the test-only sled"; else ok "the shipped sgp does not list sled"; fi

# 2. wrong or missing hooks: clear errors
echo '{"break": "figure"}' >"$T/b_fig.json"
echo '{"break": "overlay"}' >"$T/b_ov.json"
echo '{"break": "refs"}' >"$T/b_refs.json"
echo '{"drop": "view_point"}' >"$T/d_view.json"
expect_error "figure of a dimension the state lacks" "sled: spec.figure.dims[1] = 2 is not a state dimension (nx = 2)" "docs/adding-an-environment.md" -- \
  "$TSGP" view sled --env-config "$T/b_fig.json" --record "$T/x.ppm"
expect_error "image overlay larger than the state" "sled: overlay 1: image 2x2 at offset 0 does not fit the state (nx = 2)" -- \
  "$TSGP" collect sled --env-config "$T/b_ov.json" --spec "$SRC/datasets/specs/point_box.json" --seed 0 --out "$T/d"
expect_error "references that normalise nothing" "sled: spec.ref_random" "expert above random" -- \
  "$TSGP" view sled --env-config "$T/b_refs.json" --record "$T/x.ppm"

# 3. a sweep: data, model, MPC runs, the table and the environment's own figure (time series)
cat >"$T/sweep.json" <<'JSON'
{
  "name": "sled-tiny",
  "description": "A seconds-long sweep on the test-only sled.",
  "seeds": 1,
  "eval": {"episodes": 1, "mode": "mpc"},
  "train": {"dynamics": {"net": {"hidden": [16]}, "train": {"epochs": 2, "batch": 64}}},
  "envs": [{"name": "sled", "datasets": [{"name": "box-1k", "spec": {"type": "box", "n": 1000}}], "planner": {"horizon": 5}}],
  "agents": [{"name": "cem", "planner": {"name": "cem", "samples": 16, "iters": 2}}]
}
JSON
if "$TSGP" sweep "$T/sweep.json" --out "$T/out" --cache "$T/cache" --jobs 2 2>"$T/sweep.log"; then
  ok "sweep on sled ran"
  grep -q '^| sled | box-1k | normalized_score | ' "$T/out/table.md" && ok "table.md has the sled row (normalised score: it declares references)" \
    || bad "table.md row: $(grep sled "$T/out/table.md" | head -3)"
  fig=$T/out/figures/sled-box-1k-traj.svg
  if [[ -s $fig ]] && grep -q '<polyline' "$fig" && grep -q 'p (m)' "$fig" && grep -q 'v (m/s)' "$fig"; then
    ok "the time-series figure the sled declares: panels 'p (m)' and 'v (m/s)' with the rollout"
  else bad "no time-series figure with the rollout in $fig"; fi
else
  bad "sweep on sled: $(tail -5 "$T/sweep.log")"
fi
# a figure asked of an environment that declares none
sed 's/"planner": {"horizon": 5}}/"planner": {"horizon": 5}, "config": {"drop": "figure"}, "trajectories": true}/' "$T/sweep.json" >"$T/sweep_nofig.json"
expect_error "trajectories of an environment without a figure" "/envs/0/trajectories: environment 'sled' declares no trajectory figure" -- \
  "$TSGP" sweep "$T/sweep_nofig.json" --out "$T/out2" --cache "$T/cache"

# 4. sgp view: the sweep's rollout, recorded offscreen; without view_point a clear error
roll=$(dirname "$(ls "$T"/out/rollouts/*/ep0_x.npy 2>/dev/null | head -1)")
if [[ -z $roll || $roll == . ]]; then
  bad "the sweep saved no rollout"
else
  expect_error "a rollout of an environment without view_point" "sled: no view_point hook" -- \
    "$TSGP" view sled --env-config "$T/d_view.json" --rollout "$roll" --record "$T/x.ppm"
  if "$TSGP" view --help | grep -q "HAS NO VIEWER"; then
    echo "SKIP sgp view --record: built with -DSGP_VIEWER=OFF"
  elif ! command -v xvfb-run >/dev/null && [[ -z "${DISPLAY:-}" ]]; then
    echo "SKIP sgp view --record: neither xvfb-run nor a display (scripts/deps.sh --test installs xvfb)"
  else
    run=("$TSGP" view sled --rollout "$roll" --record "$T/sled.ppm" --size 320x240 --quiet)
    if command -v xvfb-run >/dev/null; then run=(xvfb-run -a -s "-screen 0 1280x1024x24" "${run[@]}"); fi
    if "${run[@]}" 2>"$T/view.log"; then
      n=$(grep -c -a '^320 240$' "$T/sled.ppm" || true)
      [[ $n -eq 31 ]] && ok "sgp view --record of the sled's rollout: $n frames (30 steps)" || bad "expected 31 frames, got $n"
    else
      bad "sgp view --record: $(cat "$T/view.log")"
    fi
  fi
fi

if ((fails)); then
  echo "e2e_testenv: $fails failure(s)" >&2
  exit 1
fi
echo "e2e_testenv: all checks passed"
