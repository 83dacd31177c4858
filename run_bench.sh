#!/usr/bin/env bash
# The main job. Installs what is missing, builds, and runs a benchmark sweep.
#   ./run_bench.sh              the quick preset (under 10 minutes on 2 cores)
#   ./run_bench.sh paper        the full settings of docs/METHOD (hours)
#   ./run_bench.sh FILE.json    any sweep file
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
arg=${1:-quick}
if [[ -f bench/sweeps/$arg.json ]]; then
  sweep=bench/sweeps/$arg.json; name=$arg
elif [[ -f "$arg" ]]; then
  sweep=$arg; name=$(basename "$arg" .json)
else
  echo "run_bench.sh: no preset or sweep file '$arg' (presets: $(ls bench/sweeps 2>/dev/null | sed 's/.json//' | tr '\n' ' '))" >&2
  exit 2
fi
if [[ "$arg" == paper ]]; then
  echo "run_bench.sh: the 'paper' preset takes hours on 2 cores (about 15 h; docs/reproducing-the-paper.md)." >&2
fi
shift || true
build/sgp sweep "$sweep" --out "results/$name" "$@"
echo "table: results/$name/table.md"
