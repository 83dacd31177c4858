#!/usr/bin/env bash
# The test command: installs what is missing, builds (Release and ASan+UBSan), runs every test.
#   tests/run.sh            full suite (Release) + unit tests under ASan/UBSan + short fuzz runs
#   SGP_TEST_QUICK=1 tests/run.sh   skip the sanitizer build and the fuzzers
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test
jobs=$(nproc 2>/dev/null || echo 2)
export OPENBLAS_NUM_THREADS=1

echo "== Release build + full suite"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"

if [[ "${SGP_TEST_QUICK:-0}" != "1" ]]; then
  echo "== AddressSanitizer + UndefinedBehaviorSanitizer build, unit tests"
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSGP_SANITIZE=ON -DSGP_VIEWER=OFF >/dev/null
  cmake --build build-asan -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs" -L unit

  echo "== libFuzzer targets, a short run each (fuzz/README.md)"
  fuzz/run.sh "${SGP_FUZZ_SECONDS:-20}"
fi
echo "== all tests passed"
