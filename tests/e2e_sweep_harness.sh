#!/usr/bin/env bash
# The sweep harness end to end with TEST-ONLY fake jobs (sgp sweep --fake-jobs; bench/sweep_fake.c):
# tables with the expected cells, a rerun that skips everything, SIGTERM and kill -9 halfway then
# resume giving a byte-identical table.json outside its "timing" objects, `--list` run line by
# line with sh giving the same table, failing jobs reported with their logs and marked missing,
# malformed files rejected before anything is written, and sgp compare on hand-made tables.
# The same checks with the real collect/train/eval verbs: tests/e2e_sweep.sh.
set -euo pipefail
SRC=${SGP_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
SGP=${SGP_PROG:-$SRC/build/sgp}
FIX=$SRC/tests/fixtures/sweep
T=$(mktemp -d "${TMPDIR:-/tmp}/sgp-e2e-sweep.XXXXXX")
trap 'rm -rf "$T"' EXIT
source "$SRC/tests/sweep_tables.sh"
count() { grep -c "$1" "$2" || true; }
sweep() { "$SGP" sweep "$FIX/fake.json" --fake-jobs "$@"; }

# 1. uninterrupted reference
sweep --out "$T/ref" --cache "$T/c-ref" --jobs 2 2> "$T/ref.log" || { cat "$T/ref.log" >&2; fail "reference sweep"; }
[[ $(count '"runs_expected":' "$T/ref/table.json") == 9 ]] || fail "expected 9 cells"
[[ $(count '"status":	"ok"' "$T/ref/table.json") == 27 ]] || fail "expected 27 ok runs"
[[ $(count '"missing_runs":	0' "$T/ref/table.json") == 1 ]] || fail "missing runs"
grep -q '^| fake-2d-mud | uniform | success · final cost | ' "$T/ref/table.md" || fail "table.md main row"
# 3 seeds: no permutation test of 3 against 3 seed means can reach p < 0.05 (at least 2/20), so the
# best cell is marked as tied (≈), never bold
grep -q '^| fake-4d | small | normalized_score | [0-9.]* \[.*\] ≈ | · | · | · |' "$T/ref/table.md" || fail "table.md: IQM [interval], ≈ for a tie, · for agents not run"
for f in fake-2d-mud-uniform-bar fake-2d-mud-uniform-traj fake-4d-small-bar fake-4d-large-bar; do
  [[ -s $T/ref/figures/$f.svg ]] || fail "figure $f.svg"
  grep -q "figures/$f.svg" "$T/ref/table.md" || fail "table.md does not reference $f.svg"
done
grep -q '<polyline' "$T/ref/figures/fake-2d-mud-uniform-traj.svg" || fail "trajectory figure has no trajectories"
grep -q 'not a benchmark' "$T/ref/table.md" || fail "fake tables must say so"
ok "reference sweep: 9 cells, 27 runs, figures"

# 2. rerun: nothing runs, same table
cp "$T/ref/table.json" "$T/ref1.json"
sweep --out "$T/ref" --cache "$T/c-ref" --jobs 2 2> "$T/rerun.log" || fail "rerun"
grep -q "0 job(s) ran, 57 reused" "$T/rerun.log" || { cat "$T/rerun.log" >&2; fail "rerun ran jobs"; }
same_table "$T/ref1.json" "$T/ref/table.json" "rerun"

# 3. SIGTERM halfway, then resume
SGP_FAKE_SLEEP_MS=120 "$SGP" sweep "$FIX/fake.json" --fake-jobs --out "$T/k" --cache "$T/c-k" --jobs 2 2> "$T/k1.log" &
pid=$!
for _ in $(seq 400); do [[ $(ls "$T/k/runs" 2>/dev/null | wc -l) -ge 3 ]] && break; sleep 0.05; done
kill -TERM $pid
rc=0; wait $pid || rc=$?
[[ $rc == 130 ]] || { cat "$T/k1.log" >&2; fail "interrupted sweep exit status $rc, want 130"; }
grep -q "run the same command again to resume" "$T/k1.log" || fail "interrupt message"
n=$(ls "$T/k/runs" | grep -c '\.json$' || true)
[[ $n -lt 27 ]] || fail "the sweep was not interrupted halfway ($n runs)"
sweep --out "$T/k" --cache "$T/c-k" --jobs 2 2> "$T/k2.log" || { cat "$T/k2.log" >&2; fail "resume"; }
grep -Eq "[1-9][0-9]* reused" "$T/k2.log" || fail "resume reused nothing"
same_table "$T/ref/table.json" "$T/k/table.json" "SIGTERM after $n runs, resume"

# 4. kill -9 of the whole process group (power loss: jobs die mid-write), then resume
SGP_FAKE_SLEEP_MS=120 setsid "$SGP" sweep "$FIX/fake.json" --fake-jobs --out "$T/p" --cache "$T/c-p" --jobs 3 2> "$T/p1.log" &
pid=$!
for _ in $(seq 200); do [[ $(ls "$T/p/runs" 2>/dev/null | wc -l) -ge 4 ]] && break; sleep 0.05; done
kill -KILL -- -$pid 2>/dev/null || kill -KILL $pid
wait $pid 2>/dev/null || true
n=$(ls "$T/p/runs" | grep -c '\.json$' || true)
[[ $n -lt 27 ]] || fail "kill -9 came too late ($n runs)"
sweep --out "$T/p" --cache "$T/c-p" --jobs 2 2> "$T/p2.log" || { cat "$T/p2.log" >&2; fail "resume after kill -9"; }
same_table "$T/ref/table.json" "$T/p/table.json" "kill -9 after $n runs, resume"

# 5. --list, run line by line with sh, then sgp sweep only assembles the table
sweep --out "$T/l" --cache "$T/c-l" --list > "$T/jobs.sh"
[[ $(grep -c '^# wave' "$T/jobs.sh") == 3 ]] || fail "--list: 3 waves"
[[ $(grep -vc '^#' "$T/jobs.sh") == 57 ]] || fail "--list: 57 commands"
grep -q '^OPENBLAS_NUM_THREADS=1 .*sgp sweep --fake-job collect fake-2d ' "$T/jobs.sh" || fail "--list command shape"
[[ ! -e $T/l/table.json ]] || fail "--list must not run anything"
sh -e "$T/jobs.sh" > /dev/null
sweep --out "$T/l" --cache "$T/c-l" 2> "$T/l.log" || fail "assemble after --list"
grep -q "0 job(s) ran, 57 reused" "$T/l.log" || { cat "$T/l.log" >&2; fail "after --list, sgp sweep ran jobs"; }
same_table "$T/ref/table.json" "$T/l/table.json" "--list | sh, then sgp sweep"
# a half-done --list: only the pending jobs are listed
rm "$T/l/runs/"$(ls "$T/l/runs" | head -1)
sweep --out "$T/l" --cache "$T/c-l" --list > "$T/jobs2.sh"
[[ $(grep -vc '^#' "$T/jobs2.sh") == 1 ]] || fail "--list after deleting one result: want 1 command"
ok "--list lists only pending jobs"

# 6. failing jobs: reported with the tail of their log, dependents skipped, cells marked missing
rc=0; "$SGP" sweep "$FIX/fake_fail.json" --fake-jobs --out "$T/f" --cache "$T/c-f" --jobs 2 2> "$T/f.log" || rc=$?
[[ $rc == 1 ]] || { cat "$T/f.log" >&2; fail "failing sweep exit status $rc, want 1"; }
grep -q 'FAILED eval fake-2d/ok crashing seed 0' "$T/f.log" || fail "failed eval not reported"
grep -q 'failing as the planner config asks' "$T/f.log" || fail "log tail not shown"
grep -q 'FAILED collect fake-2d/broken seed 0' "$T/f.log" || fail "failed collect not reported"
# the cell with results is not bold: there is no other cell to test it against
grep -q '^| fake-2d | ok | success · final cost | [0-9.]* \[.*\] · [0-9.]* | — |' "$T/f/table.md" || fail "missing cell not marked"
grep -q '"missing_runs":	6' "$T/f/table.json" || fail "6 missing runs expected"
ok "failing jobs: reported, skipped dependents, table marks missing cells"

# 7. malformed files are rejected before anything is written
rc=0; "$SGP" sweep "$FIX/bad_unknown_planner.json" --fake-jobs --out "$T/bad" --cache "$T/c-bad" 2> "$T/bad.log" || rc=$?
[[ $rc == 1 ]] || fail "bad sweep exit status $rc"
grep -q "bad_unknown_planner.json: /agents/1/planner/name: unknown planner 'fake-smaple'" "$T/bad.log" || { cat "$T/bad.log" >&2; fail "error message"; }
[[ ! -e $T/bad && ! -e $T/c-bad ]] || fail "a rejected sweep wrote files"
ok "malformed sweep rejected before any job: $(cat "$T/bad.log")"

# 8. sgp compare on hand-made tables (tests/fixtures/sweep/table_{a,b}.json)
"$SGP" compare "$FIX/table_a.json" "$FIX/table_b.json" > "$T/cmp.txt" || fail "compare"
grep -q 'pt/u  *sgp  *success .* 0.85  *0.103  no significant difference' "$T/cmp.txt" || { cat "$T/cmp.txt"; fail "compare: P(B>A) 0.85, permutation p 13/126 expected"; }
grep -q 'pt/u  *cem  *success .*WORSE (significant regression)' "$T/cmp.txt" || { cat "$T/cmp.txt"; fail "compare: regression expected"; }
grep -q 'pt/u  *cost  *final_cost .*BETTER (significant)' "$T/cmp.txt" || { cat "$T/cmp.txt"; fail "compare: lower cost is better"; }
rc=0; "$SGP" compare "$FIX/table_a.json" "$FIX/table_b.json" --fail-on-regression > /dev/null 2>&1 || rc=$?
[[ $rc == 1 ]] || fail "--fail-on-regression exit status $rc"
"$SGP" compare "$T/ref/table.json" "$T/k/table.json" --fail-on-regression --all > /dev/null || fail "identical tables regress"
ok "compare: permutation-test verdicts, direction aware, --fail-on-regression"
echo "e2e_sweep_harness: all checks passed"
