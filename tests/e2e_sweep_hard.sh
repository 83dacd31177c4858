#!/usr/bin/env bash
# Sweeps at the edges of what a sweep file, the file system and several processes can do
# (docs/sweeps.md: "Validation", "Interruption", "Shared caches"), with the real verbs on the
# seconds-long bench/sweeps/tiny-test.json and the test-only fake jobs:
#  1. every line of --list is safe to pipe to sh: a hostile name is refused, paths with shell
#     syntax are quoted, a newline in --out or --cache is refused;
#  2. a name that would leave results/ (../x, /abs) is refused before anything is written;
#  3. links planted at a job's log or rollout directory are never written through;
#  5. kill -9 of the sweep process alone, then an immediate re-run: the re-run succeeds and no
#     job of the killed sweep is left running;
#  6. two and four sweeps at once on one cache, with the same and with different --out: every
#     one succeeds, each dataset and model is built once, every table is identical;
#  7. invalid job configs (eval fields, episodes, steps, seeds, dataset specs) are refused before
#     any job runs and before anything is written;
#  8. corrupt artefacts (cut, null, incomplete or foreign results, a changed dataset byte, a
#     flipped bit in a model) are named, rebuilt and never counted as done;
# 10. sgp compare --fail-on-regression fails when nothing was compared.
set -euo pipefail
SRC=$(realpath "${SGP_SOURCE_DIR:-$(dirname "$0")/..}")
SGP=$(realpath "${SGP_PROG:-$SRC/build/sgp}")
FIX=$SRC/tests/fixtures/sweep
TINY=$SRC/bench/sweeps/tiny-test.json
T=$(mktemp -d "${TMPDIR:-/tmp}/sgp-e2e-hard.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T"
source "$SRC/tests/sweep_tables.sh"
# copies of the tiny sweep with one JSON edit each (one python run: its start-up is slow)
python3 - "$TINY" <<'EOF'
import json, sys
edits = {
    "bad1": ("name", "x\ntouch PWNED\n"),
    "n1": ("name", "../../x"), "n2": ("name", "/abs"), "n3": ("name", "a/b"), "n4": ("name", ".."), "n5": ("name", ""),
    "v1": ("eval/bogus", 1), "v2": ("eval/episodes", "NaN"), "v3": ("eval/episodes", 0),
    "v4": ("eval/episodes", 1e12), "v5": ("eval/steps", 0), "v6": ("seeds", [2147483648]),
    "v7": ("envs/0/datasets/0/spec", {"type": "box", "n": -1}),
    "v8": ("envs/0/datasets/0/spec", {"type": "grid", "n": 10}),
    "v9": ("train/score/train/epochs", 0), "v10": ("agents/0/planner/iters", -3),
}
for name, (path, value) in edits.items():
    s = json.load(open(sys.argv[1]))
    o = s
    keys = path.split("/")
    for k in keys[:-1]:
        o = o[int(k)] if isinstance(o, list) else o.setdefault(k, {})
    o[keys[-1]] = value
    json.dump(s, open(name + ".json", "w"))
EOF
# expect_refused FILE PATTERN [args]: exit 1 or 2, message, nothing written
expect_refused() {
  local f=$1 pat=$2
  shift 2
  rm -rf o c
  local rc=0
  "$SGP" sweep "$f" --out o --cache c "$@" > out.txt 2> err.txt || rc=$?
  [[ $rc == 1 || $rc == 2 ]] || fail "$f $*: exit $rc, want 1 or 2: $(cat err.txt)"
  grep -qF -- "$pat" err.txt || fail "$f: stderr lacks '$pat': $(cat err.txt)"
  [[ ! -e o && ! -e c ]] || fail "$f: a refused sweep wrote files"
  ok "refused before anything ran: $(head -c 160 err.txt)"
}

# reference table of the tiny sweep
"$SGP" sweep "$TINY" --out ref --cache cref --jobs 2 2> ref.log || { cat ref.log >&2; fail "reference"; }

# ---- 1. shell safety of --list
expect_refused bad1.json "/name"
for opt in --out --cache; do
  rc=0; "$SGP" sweep "$TINY" --list $opt "$(printf 'a\nb')" > /dev/null 2> err.txt || rc=$?
  [[ $rc == 2 ]] && grep -q -- "$opt" err.txt || fail "a newline in $opt: exit $rc $(cat err.txt)"
  [[ ! -e a ]] || fail "a newline in $opt: files written"
done
ok "newlines in --out and --cache refused"
hostile='o $(touch PWNED2); `touch PWNED3` x'\''y'
"$SGP" sweep "$TINY" --list --out "$hostile" --cache "c d" > jobs.sh
sh -e jobs.sh > /dev/null 2>&1
[[ ! -e PWNED && ! -e PWNED2 && ! -e PWNED3 ]] || fail "--list | sh ran text from a name or path"
# the lines are idempotent: run again, every dataset and model is reused, none built twice
ndm=$(grep -Ec '^OPENBLAS_NUM_THREADS=1 [^ ]+ (collect|train) ' jobs.sh)
sh -e jobs.sh > again.log 2>&1
[[ $(grep -c "(reused)" again.log) == "$ndm" && $ndm -gt 0 ]] || fail "--list lines run twice rebuilt: $(cat again.log)"
grep -v '^#' jobs.sh | while IFS= read -r line; do sh -n -c "$line" || fail "not one command: $line"; done
"$SGP" sweep "$TINY" --out "$hostile" --cache "c d" 2> l.log || { cat l.log >&2; fail "assemble after --list"; }
grep -q "0 job(s) ran" l.log || fail "--list | sh left jobs to run"
same_table ref/table.json "$hostile/table.json" "hostile --out through --list | sh"

# ---- 2. names that leave results/
for n in n1 n2 n3 n4 n5; do
  expect_refused $n.json "/name"
  expect_refused $n.json "/name" --list
done
[[ ! -e ../x && ! -e x ]] || fail "a name escaped results/"

# ---- 3. planted links
mkdir -p victim planted/logs planted/rollouts
echo keep > victim/keep.txt
"$SGP" sweep "$FIX/fake.json" --fake-jobs --list --out planted --cache cpl > pl.sh
key=$(grep -o 'datasets/[0-9a-f]*' pl.sh | head -1 | cut -d/ -f2)
rkey=$(grep -o 'rollouts/[0-9a-f]*' pl.sh | head -1 | cut -d/ -f2)
[[ -n $key && -n $rkey ]] || fail "no dataset or rollout key in --list"
ln -s "$T/victim/keep.txt" "planted/logs/collect-$key.log"
ln -s "$T/victim" "planted/rollouts/$rkey"
"$SGP" sweep "$FIX/fake.json" --fake-jobs --out planted --cache cpl --jobs 2 2> pl.log || true
[[ $(cat victim/keep.txt) == keep && $(ls victim) == keep.txt ]] || fail "a planted link was written through: $(ls victim)"
ok "links at a log and a rollout directory not followed"

# ---- 5. kill -9 of the sweep process alone, immediate re-run
# ours_running: a process of this program still runs in this test's directory (the sweep and its
# jobs run there; a bare command-line pattern would also see other runs of this test on the host)
ours_running() {
  local p
  for p in $(pgrep -f -- "$SGP" || true); do
    [[ $(readlink "/proc/$p/cwd" 2> /dev/null) == "$T" ]] && return 0
  done
  return 1
}
for trial in 1 2; do
  rm -rf k ck
  SGP_FAKE_SLEEP_MS=100 "$SGP" sweep "$FIX/fake.json" --fake-jobs --out k --cache ck --jobs 3 2> /dev/null &
  pid=$!
  for _ in $(seq 200); do [[ $(ls k/runs 2>/dev/null | wc -l) -ge 2 ]] && break; sleep 0.05; done
  kill -KILL $pid
  wait $pid 2>/dev/null || true
  "$SGP" sweep "$FIX/fake.json" --fake-jobs --out k --cache ck --jobs 3 2> k.log || { cat k.log >&2; fail "re-run after kill -9 of the parent (trial $trial)"; }
  sleep 0.5
  ours_running && fail "jobs of the killed sweep still run: $(pgrep -af -- "$SGP")"
done
ok "kill -9 of the sweep alone, immediate re-run: 2 of 2 succeed, no orphans"

# ---- 6. concurrent sweeps on one cache
for n in 2 4; do
  for mode in same different; do
    rm -rf cc s*
    pids=()
    for i in $(seq $n); do
      out=s1
      [[ $mode == different ]] && out=s$i
      "$SGP" sweep "$TINY" --out $out --cache cc --jobs 2 > /dev/null 2> "c$i.log" &
      pids+=($!)
    done
    for i in $(seq $n); do
      wait "${pids[$((i - 1))]}" || { cat "c$i.log" >&2; fail "$n concurrent sweeps ($mode --out): sweep $i failed"; }
    done
    for d in s*; do same_table ref/table.json "$d/table.json" "$n sweeps at once, $mode --out ($d)" > /dev/null; done
    built=$(cat c*.log | grep -c "done collect" || true)
    ok "$n sweeps at once on one cache, $mode --out: all succeed, identical tables ($built collect job(s) reported done)"
  done
done

# ---- 7. validation before any job
expect_refused v1.json "/eval/bogus"
expect_refused v2.json "/eval/episodes"
expect_refused v3.json "/eval/episodes"
expect_refused v4.json "/eval/episodes"
expect_refused v5.json "/eval/steps"
expect_refused v6.json "/seeds"
expect_refused v7.json "collect point-mud/box-1k seed 0: /n"
expect_refused v8.json "collect point-mud/box-1k seed 0: /type"
expect_refused v9.json "epochs"
expect_refused v10.json "/iters"

# ---- 8. corrupt artefacts
cp -r ref r8 && cp -r cref c8
runs=(r8/runs/*.json)
head -c 100 "${runs[0]}" > t && mv t "${runs[0]}"
echo null > "${runs[1]}"
python3 - "${runs[2]}" "${runs[3]}" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1])); del a["summary"]; json.dump(a, open(sys.argv[1], "w"))
b = json.load(open(sys.argv[2])); b["seed"] = b["seed"] + 1; json.dump(b, open(sys.argv[2], "w"))
EOF
ds=$(ls -d c8/datasets/*/ | head -1)
printf 'X' | dd of="$ds/x.npy" bs=1 seek=200 conv=notrunc 2> /dev/null
# one flipped bit in a model's weights (its recorded tensors' SHA-256 no longer matches)
model=$(ls c8/models/*.safetensors | head -1)
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-3] ^= 1; open(sys.argv[1], "wb").write(b)' "$model"
"$SGP" sweep "$TINY" --out r8 --cache c8 --jobs 2 2> r8.log || { cat r8.log >&2; fail "re-run over corrupt artefacts"; }
for f in "${runs[@]:0:4}" "$ds" "$model"; do
  grep -q "$(basename "$f")" r8.log || { cat r8.log >&2; fail "corrupt $f not named"; }
done
grep -q "0 of 4 runs missing" r8.log || fail "runs still missing after the rebuild"
same_table ref/table.json r8/table.json "corrupt results and dataset rebuilt"

# ---- 10. compare with nothing compared
rc=0; "$SGP" compare ref/table.json ref/table.json --metric bogus --fail-on-regression > /dev/null 2> err.txt || rc=$?
[[ $rc == 2 ]] || fail "unknown --metric: exit $rc: $(cat err.txt)"
python3 - ref/table.json <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
for o in t["rows"] + t["cells"]:
    o["env"] = o["env"] + "-other"
json.dump(t, open("other.json", "w"))
t = json.load(open(sys.argv[1]))
for c in t["cells"]:
    c["runs_found"] = 0
    for m in c["metrics"].values():
        m["values"] = []
        m["n"] = 0
for r in t["runs"]:
    r["status"] = "failed"
json.dump(t, open("failed.json", "w"))
EOF
rc=0; "$SGP" compare ref/table.json other.json --fail-on-regression > /dev/null 2> err.txt || rc=$?
[[ $rc != 0 ]] || fail "tables sharing no cell pass --fail-on-regression"
rc=0; "$SGP" compare ref/table.json failed.json --fail-on-regression > /dev/null 2> err.txt || rc=$?
[[ $rc != 0 ]] || fail "B with every run failed passes --fail-on-regression"
ok "compare --fail-on-regression fails when nothing is compared"
echo "e2e_sweep_hard: all checks passed"
