#!/usr/bin/env bash
# The cluster tools of sgp sweep without a cluster, on TEST-ONLY fake jobs (--fake-jobs):
# --status from the files alone (nothing written; failures named with their logs), --estimate
# against prices computed here from the time records (medians per setting, settings never measured
# listed and left out), --slurm --dry-run (the scripts of every wave, option checks), the task
# runner `sgp sweep --task` (outcome and time records, SIGTERM forwarded and recorded, bad task
# files), and the final job's assembly. The same on a real Slurm cluster: tests/e2e_slurm.sh.
set -euo pipefail
SRC=${SGP_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
SGP=${SGP_PROG:-$SRC/build/sgp}
FIX=$SRC/tests/fixtures/sweep
T=$(mktemp -d "${TMPDIR:-/tmp}/sgp-e2e-cluster.XXXXXX")
trap 'rm -rf "$T"' EXIT
source "$SRC/tests/sweep_tables.sh"
sweep() { "$SGP" sweep "$FIX/fake.json" --fake-jobs "$@"; }

# 1. --status before anything ran: all missing, exit 1, nothing written
rc=0; sweep --out "$T/a" --cache "$T/c" --status > "$T/st0.txt" || rc=$?
[[ $rc == 1 ]] || fail "--status exit $rc, want 1"
grep -q '^sweep fake (.*): 57 jobs: 0 done, 0 failed, 57 missing$' "$T/st0.txt" || { cat "$T/st0.txt" >&2; fail "--status counts"; }
[[ ! -e $T/a && ! -e $T/c ]] || fail "--status wrote files"
ok "--status before any job: 57 missing, nothing written"

# 2. a sweep with one failing training job: --status names it with the end of its log
sed 's/"train": {"score": {"sigma": 0.1}}/"train": {"score": {"sigma": 0.1}, "ensemble": {"fail": true}}/' "$FIX/fake.json" > "$T/failing.json"
rc=0; "$SGP" sweep "$T/failing.json" --fake-jobs --out "$T/f" --cache "$T/cf" --jobs 2 2> "$T/f.log" || rc=$?
[[ $rc == 1 ]] || fail "the failing sweep: exit $rc"
rc=0; "$SGP" sweep "$T/failing.json" --fake-jobs --out "$T/f" --cache "$T/cf" --status > "$T/stf.txt" || rc=$?
[[ $rc == 1 ]] || fail "--status with failures: exit $rc"
nf=$(grep -c '^FAILED train ensemble fake-2d-mud/uniform seed [012]: exit status 1 after .* (local, host ' "$T/stf.txt" || true)
[[ $nf == 3 ]] || { cat "$T/stf.txt" >&2; fail "--status: expected the 3 failed ensemble trainings by name"; }
grep -A3 '^FAILED train ensemble' "$T/stf.txt" | grep -q '    | ' || fail "--status: no log lines"
grep -Eq '^  train +18 done, +3 failed, +0 missing$' "$T/stf.txt" || { cat "$T/stf.txt" >&2; fail "--status train line"; }
grep -Eq '^  eval +21 done, +0 failed, +6 missing$' "$T/stf.txt" || { cat "$T/stf.txt" >&2; fail "--status eval line (6 blocked)"; }
ok "--status: $(head -1 "$T/stf.txt")"

# 3. --estimate: time records rewritten with known times; seeds 3 and 4 added to the sweep
sweep --out "$T/e" --cache "$T/ce" --jobs 2 2> "$T/e.log" || { cat "$T/e.log" >&2; fail "reference sweep"; }
[[ $(ls "$T/ce/timings" | wc -l) == 57 ]] || fail "expected 57 time records"
sed 's/"seeds": \[0, 1, 2\]/"seeds": [0, 1, 2, 3, 4]/' "$FIX/fake.json" > "$T/fake5.json"
python3 - "$T" > "$T/expected.txt" <<'EOF'
import json, os, sys, hashlib
t = sys.argv[1]
d = f"{t}/ce/timings"
classes = {}
for f in sorted(os.listdir(d)):
    r = json.load(open(f"{d}/{f}"))
    classes.setdefault(r["class"], []).append((f, r))
# every setting (class) gets a base time; seed s of it took base * (1, 2, 4)[s]: median 2 * base
drop = None
for i, (c, recs) in enumerate(sorted(classes.items())):
    base = 10 + 7 * i
    for f, r in recs:
        seed = int(r["job"].rsplit(" ", 1)[1])
        r["wall_s"] = base * (1, 2, 4)[seed]
        r["cpu_s"] = r["wall_s"] / 2
        json.dump(r, open(f"{d}/{f}", "w"))
    if drop is None and recs[0][1]["verb"] == "eval":
        drop = c
        for f, r in recs:  # never measured: no record, no result
            os.remove(f"{d}/{f}")
            os.remove(f"{t}/e/runs/{r['key']}.json")
    classes[c] = (base, recs)
left = sum(2 * 2 * b for c, (b, recs) in classes.items() if c != drop)       # seeds 3, 4
done = sum(3 * 2 * b for c, (b, recs) in classes.items() if c != drop)       # seeds 0, 1, 2
label = classes[drop][1][0][1]["job"].rsplit(" seed ", 1)[0]
print(f"{left:.1f} {left + done:.1f} {label}")
EOF
want_left=$(cut -d' ' -f1 "$T/expected.txt") want_all=$(cut -d' ' -f2 "$T/expected.txt")
want_label=$(cut -d' ' -f3- "$T/expected.txt")
before=$(find "$T/e" "$T/ce" -printf '%p %s %T@\n' | sort)
"$SGP" sweep "$T/fake5.json" --fake-jobs --out "$T/e" --cache "$T/ce" --estimate > "$T/est.txt" || fail "--estimate"
[[ $before == "$(find "$T/e" "$T/ce" -printf '%p %s %T@\n' | sort)" ]] || fail "--estimate wrote files"
cat "$T/est.txt"
got=$(sed -n 's/^  total .*( *\([0-9.]*\)).*/\1/p' "$T/est.txt")
[[ $got == "$want_left" ]] || fail "--estimate: $got CPU-seconds for the jobs left, want $want_left"
grep -q "^  $want_label (5 jobs)$" "$T/est.txt" || fail "--estimate: the setting never measured ($want_label, 5 jobs) is not listed"
grep -q "for 36 of the 41 jobs to run; a lower bound" "$T/est.txt" || fail "--estimate: priced jobs"
want_h=$(python3 -c "print(f'{$want_all / 3600:.3f}')")
grep -q "^the whole sweep: $want_h CPU-hours for the 90 jobs priced (54 done" "$T/est.txt" || fail "--estimate: whole sweep, want $want_h"
ok "--estimate: $got CPU-seconds (= $want_left computed from the records), 5 jobs never measured"

# 4. --slurm --dry-run and the option checks
sweep --out "$T/d" --cache "$T/cd" --slurm --dry-run --partition gpu,cpu --account lab-1 --time 1-00:30 \
  --cpus-per-task 2 --max-parallel 4 > "$T/dry.txt" || fail "--dry-run"
for l in '#SBATCH --array=1-9%4' '#SBATCH --array=1-30%4' '#SBATCH --array=1-18%4' '#SBATCH --partition=gpu,cpu' \
         '#SBATCH --account=lab-1' '#SBATCH --time=1-00:30' '#SBATCH --cpus-per-task=2' '#SBATCH --job-name=sgp-fake-final'; do
  grep -qxF -- "$l" "$T/dry.txt" || fail "--dry-run: no line '$l'"
done
grep -q '"threads":2,' "$T"/d/slurm/*/wave-2.tasks || fail "--cpus-per-task 2 sets the jobs' BLAS threads"
[[ ! -e $T/d/slurm/latest ]] || fail "--dry-run recorded a submission"
for bad in "--time 1:2:3:4" "--time 5h" "--partition a;b" "--account a/b" "--max-parallel 0" "--cpus-per-task x"; do
  rc=0; sweep --out "$T/d" --cache "$T/cd" --slurm $bad 2> "$T/bad.txt" || rc=$?
  [[ $rc == 2 ]] || fail "--slurm $bad: exit $rc, want 2"
done
rc=0; sweep --out "$T/d" --cache "$T/cd" --dry-run 2> /dev/null || rc=$?; [[ $rc == 2 ]] || fail "--dry-run without --slurm"
rc=0; sweep --out "$T/d" --cache "$T/cd" --slurm --list 2> /dev/null || rc=$?; [[ $rc == 2 ]] || fail "--slurm --list"
ok "--slurm --dry-run: 3 arrays at most 4 at a time, the options as #SBATCH lines; bad options refused"

# 5. the task runner outside Slurm
tasks=$(ls "$T"/d/slurm/*/wave-1.tasks)
"$SGP" sweep --task "$tasks" 2 > "$T/task.txt" || { cat "$T/task.txt" >&2; fail "--task"; }
grep -q '^done collect ' "$T/task.txt" || fail "--task output"
key=$(sed -n 2p "$tasks" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
grep -q '"ok":	true' "$T/d/logs/collect-$key.outcome.json" || fail "--task: outcome"
grep -q '"engine":	"task"' "$T/d/logs/collect-$key.outcome.json" || fail "--task: engine"
[[ -s $T/cd/timings/collect-$key.json ]] || fail "--task: no time record"
SGP_FAKE_SLEEP_MS=5000 "$SGP" sweep --task "$tasks" 3 > "$T/task3.txt" 2>&1 &
pid=$!
key3=$(sed -n 3p "$tasks" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
for _ in $(seq 100); do grep -q 'fake-job' "$T/d/logs/collect-$key3.log" 2>/dev/null && break; sleep 0.05; done
kill -TERM $pid
rc=0; wait $pid || rc=$?
[[ $rc == 143 ]] || { cat "$T/task3.txt" >&2; fail "--task after SIGTERM: exit $rc, want 143"; }
grep -q '"signal":	15' "$T/d/logs/collect-$key3.outcome.json" || fail "--task: SIGTERM not recorded"
[[ ! -e $T/cd/timings/collect-$key3.json ]] || fail "--task: a killed job has a time record"
sweep --out "$T/d" --cache "$T/cd" --status > "$T/std.txt" || true
grep -q "^FAILED collect .*: killed by signal 15 after .* (task, host " "$T/std.txt" || { cat "$T/std.txt" >&2; fail "--status: the killed task"; }
for bad in "0" "x" "9999"; do
  rc=0; "$SGP" sweep --task "$tasks" $bad 2> "$T/bad.txt" || rc=$?
  [[ $rc != 0 ]] || fail "--task $bad succeeded"
done
grep -q 'line 9999: no such task' "$T/bad.txt" || fail "--task 9999: $(cat "$T/bad.txt")"
printf '{"what": "x"}\n' > "$T/bad.tasks"
rc=0; "$SGP" sweep --task "$T/bad.tasks" 1 2> "$T/bad.txt" || rc=$?
[[ $rc == 1 ]] && grep -q 'bad.tasks: line 1: /key: expected a non-empty string' "$T/bad.txt" || fail "--task, bad line: $(cat "$T/bad.txt")"
ok "--task: runs a job and records it; SIGTERM forwarded and recorded (exit 143); bad task files refused"

# 6. the final job's assembly, and its check that the sweep file is the one submitted
sweep --out "$T/e3" --cache "$T/ce" --jobs 2 2> /dev/null || fail "sweep for the final job"
cp "$T/e3/table.json" "$T/e3-local.json"
sub=$(ls -d "$T"/d/slurm/*/)
sweep --out "$T/e3" --cache "$T/ce" --slurm-final "$sub" > "$T/final.txt" || { cat "$T/final.txt" >&2; fail "--slurm-final"; }
grep -q '57 jobs: 57 done, 0 failed, 0 missing' "$T/final.txt" || fail "--slurm-final: status"
grep -q '"engine":	"slurm"' "$T/e3/table.json" || fail "--slurm-final: timing"
rc=0; "$SGP" sweep "$T/fake5.json" --fake-jobs --out "$T/e3" --cache "$T/ce" --slurm-final "$sub" 2> "$T/final2.txt" || rc=$?
[[ $rc == 1 ]] && grep -q 'has changed since it was submitted' "$T/final2.txt" || fail "--slurm-final with another sweep file"
ok "--slurm-final: status and table; a changed sweep file is refused"
echo "e2e_sweep_cluster: all checks passed"
