#!/usr/bin/env bash
# The tiny-test sweep (its score models trained longer) on real schedulers (docs/sweeps.md, "Running on a cluster"):
#  1. GNU parallel: `sgp sweep --list`, split into waves, each run with `parallel --jobs 2`; then
#     `sgp sweep` only assembles, and table.json equals the local sweep's outside timing.
#  2. Slurm: a single-node cluster started here (munged, slurmctld, slurmd from Debian's slurm-wlm,
#     a minimal slurm.conf in a temporary directory, free ports; tests/slurm_cluster.sh), stopped
#     on exit whatever happens. `sgp sweep --slurm --dry-run` submits nothing; `--slurm` submits
#     one array per wave and the final job; one training task is killed mid-run (its process is
#     frozen with SIGSTOP so that it cannot finish first, then its array task is cancelled with
#     scancel); the final job names it as failed, --status counts it; submitting again submits
#     exactly the missing jobs, and the final table equals the local sweep's; a third submission
#     finds nothing to do.
# Prints a SKIP line with the reason when the daemons cannot start (not root, no packages).
set -euo pipefail
SRC=${SGP_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
SGP=${SGP_PROG:-$SRC/build/sgp}
source "$SRC/tests/slurm_cluster.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/sgp-e2e-slurm.XXXXXX")
cleanup() { set +e; slurm_cluster_stop; rm -rf "$T"; }
trap cleanup EXIT
# tiny-test with score models trained for 10000 epochs (a few seconds): a training task must still
# be running when the test looks for one to freeze, however loaded the machine is
SWEEP=$T/tiny-test-slow.json
python3 - "$SRC/bench/sweeps/tiny-test.json" "$SWEEP" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
j["train"]["score"]["train"]["epochs"] = 10000
json.dump(j, open(sys.argv[2], "w"), indent=1)
PY
source "$SRC/tests/sweep_tables.sh"
sweep() { "$SGP" sweep "$SWEEP" "$@"; }
t0=$SECONDS

# 0. the local reference
sweep --out "$T/ref" --cache "$T/c-ref" --jobs 2 2> "$T/ref.log" || { cat "$T/ref.log" >&2; fail "local sweep"; }
ok "local sweep ($((SECONDS - t0)) s)"

# 1. GNU parallel, wave by wave
command -v parallel > /dev/null || fail "GNU parallel is not installed (scripts/deps.sh --test installs it)"
sweep --out "$T/par" --cache "$T/c-par" --list > "$T/jobs.sh"
(cd "$T" && awk '/^# wave/{f="wave" $3 ".sh"; next} /^#/{next} {print > f}' jobs.sh)
nw=$(ls "$T"/wave*.sh | wc -l)
[[ $nw == 3 ]] || fail "--list: expected 3 waves, got $nw"
for w in $(seq "$nw"); do
  parallel --jobs 2 --halt now,fail=1 < "$T/wave$w.sh" > "$T/par-w$w.log" 2>&1 || { tail -20 "$T/par-w$w.log" >&2; fail "parallel: wave $w"; }
done
sweep --out "$T/par" --cache "$T/c-par" 2> "$T/par.log" || { cat "$T/par.log" >&2; fail "assembling after parallel"; }
grep -q "0 job(s) ran, 10 reused" "$T/par.log" || { cat "$T/par.log" >&2; fail "after parallel, sgp sweep ran jobs"; }
same_table "$T/ref/table.json" "$T/par/table.json" "GNU parallel --jobs 2, wave by wave"

# 2. Slurm
mkdir "$T/slurm"
# batch_sched_delay=0: the scheduler starts the next task within a second instead of three
export SLURM_EXTRA_CONF="SchedulerParameters=batch_sched_delay=0"
if ! slurm_cluster_start "$T/slurm"; then
  echo "SKIP e2e_slurm (Slurm part): $SLURM_SKIP"
  exit 0
fi
ok "single-node Slurm cluster up: $(sinfo -h -o '%n %c CPUs %T')"
S=(--out "$T/s" --cache "$T/c-s")

# wait until job $1 has ended; its state in $state
wait_job() {
  for _ in $(seq 1800); do
    state=$(scontrol show job -o "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
    case $state in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY) return 0 ;; esac
    sleep 0.2
  done
  fail "job $1 did not end within 6 minutes (state $state)"
}

# 2a. --dry-run: the scripts, nothing submitted
sweep "${S[@]}" --slurm --dry-run --max-parallel 2 --time 0:10:00 > "$T/dry.txt" || fail "--dry-run"
[[ $(grep -c '^#SBATCH --array=' "$T/dry.txt") == 3 ]] || fail "--dry-run: expected 3 arrays"
grep -q '^#SBATCH --array=1-2%2$' "$T/dry.txt" || fail "--dry-run: wave 1 (2 collect tasks, at most 2 at a time)"
grep -q 'afterok:\$j2" --kill-on-invalid-dep=yes' "$T/dry.txt" || fail "--dry-run: wave 3 after wave 2"
grep -q 'afterany:\$j1:\$j2:\$j3' "$T/dry.txt" || fail "--dry-run: the final job after every array"
[[ -z $(squeue -h) ]] || fail "--dry-run submitted jobs"
ok "--slurm --dry-run: 3 arrays and the final job, nothing submitted"

# 2b. submit; freeze then cancel one training task mid-run
t1=$SECONDS
sweep "${S[@]}" --slurm > "$T/sub1.txt" || { cat "$T/sub1.txt" >&2; fail "--slurm"; }
cat "$T/sub1.txt"
final=$(awk '/final:/{print $1}' "$T/sub1.txt")
[[ $final =~ ^[0-9]+$ ]] || fail "no final job id printed"
killed=
for _ in $(seq 3000); do
  for pid in $(pgrep -f -- "sgp train .*--out $T/c-s/models/" || true); do
    kill -STOP "$pid" 2>/dev/null || continue
    # the stop takes effect when the process is next scheduled: wait for it (1 s at most)
    st=
    for _ in $(seq 200); do
      st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || st=gone
      [[ $st == T || $st == gone || $st == Z ]] && break
      sleep 0.005
    done
    [[ $st == T ]] || { kill -CONT "$pid" 2>/dev/null; continue; }
    # a task frozen after it wrote its model (while exiting) would finish as done: let it go and
    # catch another, since the check below needs a task cancelled before its artefact exists
    model=$(tr '\0' '\n' < "/proc/$pid/cmdline" | sed -n '/^--out$/{n;p;}')
    [[ -n $model && ! -e $model ]] || { kill -CONT "$pid" 2>/dev/null; continue; }
    # an array task by its array form (22.05 answers "Invalid job id" for a task's own id)
    job=$(tr '\0' '\n' < "/proc/$pid/environ" | sed -n 's/^SLURM_ARRAY_JOB_ID=//p')_$(tr '\0' '\n' < "/proc/$pid/environ" | sed -n 's/^SLURM_ARRAY_TASK_ID=//p')
    what=$(tr '\0' ' ' < "/proc/$pid/cmdline")
    scancel "$job"
    kill -CONT "$pid" 2>/dev/null || true
    killed=$job
    break 2
  done
  # stop looking once the queue is known to be empty (squeue may fail while slurmctld is busy)
  if q=$(squeue -h 2> /dev/null) && [[ -z $q ]]; then break; fi
  sleep 0.01
done
[[ -n $killed ]] || { sweep "${S[@]}" --status >&2 || true; fail "could not catch a training task running"; }
ok "froze and cancelled array task (job $killed) running: $what"
wait_job "$final"
out1=$(ls "$T"/s/slurm/*/final-"$final".out)
[[ $state == FAILED ]] || { cat "$out1" >&2; fail "final job: state $state, want FAILED (a job is missing)"; }
grep -q '^FAILED train .*killed by signal 15.*slurm job' "$out1" || { cat "$out1" >&2; fail "final job: the killed task is not reported by name"; }
grep -A1 '^FAILED train' "$out1" | grep -q '    | # train ' || { cat "$out1" >&2; fail "final job: no log of the killed task"; }
ok "final job ($((SECONDS - t1)) s): $(grep '^FAILED' "$out1")"
rc=0; sweep "${S[@]}" --status > "$T/status1.txt" || rc=$?
[[ $rc == 1 ]] || fail "--status exit $rc with a failure"
grep -q '^FAILED train ' "$T/status1.txt" || fail "--status does not name the killed task"
read -r nfailed nmissing < <(sed -n 's/^sweep .*: 10 jobs: \([0-9]*\) done, \([0-9]*\) failed, \([0-9]*\) missing.*/\2 \3/p' "$T/status1.txt")
[[ $nfailed == 1 && $nmissing -ge 1 ]] || { cat "$T/status1.txt" >&2; fail "--status: expected 1 failed and some missing"; }
ok "--status: $(head -1 "$T/status1.txt")"

# 2c. submit again: exactly the failed and missing jobs
t1=$SECONDS
sweep "${S[@]}" --slurm > "$T/sub2.txt" || { cat "$T/sub2.txt" >&2; fail "--slurm again"; }
cat "$T/sub2.txt"
grep -q "$((nfailed + nmissing)) job(s) submitted ($((10 - nfailed - nmissing)) already done)" "$T/sub2.txt" ||
  fail "the second submission should hold the $((nfailed + nmissing)) failed and missing jobs"
final=$(awk '/final:/{print $1}' "$T/sub2.txt")
wait_job "$final"
[[ $state == COMPLETED ]] || { cat "$T"/s/slurm/*/final-"$final".out >&2; fail "second final job: state $state"; }
ok "resubmitted $((nfailed + nmissing)) jobs; final job COMPLETED ($((SECONDS - t1)) s)"
same_table "$T/ref/table.json" "$T/s/table.json" "Slurm, one task killed, resubmitted"
sweep "${S[@]}" --status > "$T/status2.txt" || { cat "$T/status2.txt" >&2; fail "--status after the resubmission"; }
grep -q 'engine.*slurm' "$T/s/logs/"train-*.outcome.json || fail "no outcome recorded by the Slurm tasks"

# 2d. a third submission has nothing to do
sweep "${S[@]}" --slurm > "$T/sub3.txt" || fail "--slurm with nothing to do"
grep -q 'nothing to submit, all 10 job(s) are done' "$T/sub3.txt" || { cat "$T/sub3.txt" >&2; fail "third submission"; }
[[ -z $(squeue -h) ]] || fail "the third submission submitted jobs"
same_table "$T/ref/table.json" "$T/s/table.json" "nothing to submit, assembled again"
echo "e2e_slurm: all checks passed ($((SECONDS - t0)) s)"
