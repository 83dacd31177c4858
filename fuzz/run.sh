#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for N seconds (default 20) from the seed
# corpus in fuzz/corpus/<target>/. Any crash, leak or out-of-bounds access fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
if ! command -v clang >/dev/null; then
  echo "fuzz: SKIPPED (clang not installed; scripts/deps.sh --test installs it)"
  exit 0
fi
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DSGP_FUZZ=ON -DSGP_VIEWER=OFF >/dev/null
cmake --build build-fuzz -j "$(nproc)" >/dev/null
for bin in build-fuzz/fuzz_*; do
  [[ -x "$bin" ]] || continue
  name=$(basename "$bin")
  corpus=fuzz/corpus/${name#fuzz_}
  work=$(mktemp -d)
  [[ -d "$corpus" ]] && cp -r "$corpus"/. "$work"/
  # seeds shipped elsewhere: the sweep files, the training and ARS configs
  case $name in
    fuzz_sweep) cp bench/sweeps/*.json "$work"/ ;;
    fuzz_model_cfg) cp agents/configs/*.json datasets/policies/ars_*.json "$work"/ ;;
  esac
  # inputs up to 4 KiB, or the largest seed
  maxlen=$(find "$work" -type f -printf '%s\n' | sort -n | tail -n 1)
  (( ${maxlen:-0} < 4096 )) && maxlen=4096
  # an input that runs this long is a hang; a sweep's input builds MuJoCo models (seconds when the
  # cores are shared)
  limit=5
  [[ "$name" == fuzz_sweep ]] && limit=60
  echo "fuzz: $name for ${secs}s"
  "$bin" -max_total_time="$secs" -max_len="$maxlen" -timeout="$limit" -print_final_stats=1 "$work" 2>&1 | tail -n 8
  rm -rf "$work"
done
