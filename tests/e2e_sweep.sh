#!/usr/bin/env bash
# A real sweep end to end (bench/sweeps/tiny-test.json: point, sgp-shooting and cem, two seeds;
# seconds): the table has the expected cells, a rerun skips everything, killing the sweep halfway
# and resuming gives a byte-identical table.json (timings excluded), and `--list` run line by line
# with sh gives the same table. Needs the real verbs `sgp collect`, `sgp train` and `sgp eval`;
# prints a visible SKIP while one of them is missing from this build. (The harness alone, with
# test-only fake jobs: tests/e2e_sweep_harness.sh.)
set -euo pipefail
SRC=${SGP_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
SGP=${SGP_PROG:-$SRC/build/sgp}
SWEEP=$SRC/bench/sweeps/tiny-test.json
for verb in collect train eval; do
  help=$("$SGP" $verb --help 2>&1 || true)
  if [[ $help == *"is not available in this build"* ]]; then
    echo "SKIP e2e_sweep: 'sgp $verb' is not available in this build yet"
    exit 0
  fi
done
T=$(mktemp -d "${TMPDIR:-/tmp}/sgp-e2e-sweep-real.XXXXXX")
trap 'rm -rf "$T"' EXIT
source "$SRC/tests/sweep_tables.sh"
count() { grep -c "$1" "$2" || true; }

# 1. reference: 1 row x 2 agents = 2 cells, 4 runs; 2 datasets + 2x(dynamics, score) + 4 runs = 10 jobs
"$SGP" sweep "$SWEEP" --out "$T/ref" --cache "$T/c-ref" --jobs 2 2> "$T/ref.log" || { cat "$T/ref.log" >&2; fail "reference sweep"; }
[[ $(count '"runs_expected":' "$T/ref/table.json") == 2 ]] || fail "expected 2 cells"
[[ $(count '"status":	"ok"' "$T/ref/table.json") == 4 ]] || fail "expected 4 ok runs"
grep -q '^| point-mud | box-1k | success · final cost | ' "$T/ref/table.md" || fail "table.md row"
[[ -s $T/ref/figures/point-mud-box-1k-traj.svg ]] || fail "trajectory figure"
grep -q '<polyline' "$T/ref/figures/point-mud-box-1k-traj.svg" || fail "no rollouts drawn (sgp eval --save-rollout)"
ok "reference sweep: 2 cells, 4 runs, figures"

# every cell's per-episode values, for every metric of the table, are the run results' own episode
# values (success in %); the gradient norms at the plans are metrics of the first-order planner's
# cell only (cem does not compute them: no values, `n/a` in table.md)
python3 - "$T/ref" <<'EOF' || fail "table cells against the run results"
import json, math, sys
out = sys.argv[1]
t = json.load(open(f"{out}/table.json"))
names = [m["name"] for m in t["metrics"]]
assert "plan_grad_norm" in names and "plan_cost_grad_norm" in names, names
seeds = t["seeds"]
checked = worst = 0
for cell in t["cells"]:
    runs = {r["seed"]: json.load(open(f"{out}/runs/{r['key']}.json")) for r in t["runs"]
            if (r["env"], r["dataset"], r["agent"]) == (cell["env"], cell["dataset"], cell["agent"])}
    has_norms = cell["agent"] == "sgp-shooting"
    for name in ("plan_grad_norm", "plan_cost_grad_norm"):
        assert (name in cell["metrics"]) == has_norms, (cell["agent"], name)
    for name, m in cell["metrics"].items():
        for i, s in enumerate(seeds):
            for e, got in enumerate(m["episode_values"][i]):
                ep = runs[s]["episodes"][e]
                want = ep[name] if name in ep else ep.get("env_metrics", {}).get(name)
                want = None if want is None else float(want) * (100 if name == "success" else 1)
                if want is None or got is None:
                    assert want is None and got is None, (cell["agent"], name, s, e, got, want)
                    continue
                worst = max(worst, abs(got - want) / max(1.0, abs(want)))
                checked += 1
        vals = [v for v in m["values"] if v is not None]
        if name in ("plan_grad_norm", "plan_cost_grad_norm"):
            want = [sum(ep[name] for ep in runs[s]["episodes"]) / len(runs[s]["episodes"]) for s in seeds]
            assert all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(vals, want)), (name, vals, want)
            assert all(v > 0 for v in vals), (name, vals)
assert checked > 0 and worst <= 1e-12, (checked, worst)
md = open(f"{out}/table.md").read()
for title in ("## Gradient norm of the penalised objective", "## Gradient norm of the task cost"):
    part = md.split(title, 1)[1].split("\n## ", 1)[0]
    row = [l for l in part.splitlines() if l.startswith("| point-mud | box-1k |")]
    assert len(row) == 1 and row[0].rstrip().endswith("| n/a |"), (title, row)
print(f"{checked} episode values compared, worst relative difference {worst:.3g}")
EOF
ok "table cells equal the runs' episode values (gradient norms included)"

# 2. rerun skips everything
cp "$T/ref/table.json" "$T/ref1.json"
"$SGP" sweep "$SWEEP" --out "$T/ref" --cache "$T/c-ref" 2> "$T/rerun.log" || fail "rerun"
grep -q "0 job(s) ran, 10 reused" "$T/rerun.log" || { cat "$T/rerun.log" >&2; fail "rerun ran jobs"; }
same_table "$T/ref1.json" "$T/ref/table.json" "rerun"
# the same cache moved and spelled relative to the working directory: the keys name the artefacts,
# so nothing runs again (the run configs record the old spelling)
mv "$T/c-ref" "$T/c-moved"
(cd "$T" && "$SGP" sweep "$SWEEP" --out ref --cache c-moved 2> rerun2.log) || fail "rerun, cache moved"
grep -q "0 job(s) ran, 10 reused" "$T/rerun2.log" || { cat "$T/rerun2.log" >&2; fail "rerun with the cache moved ran jobs"; }
same_table "$T/ref1.json" "$T/ref/table.json" "rerun, cache moved and relative"
mv "$T/c-moved" "$T/c-ref"

# 3. killed halfway (after the first finished job), then resumed
"$SGP" sweep "$SWEEP" --out "$T/k" --cache "$T/c-k" --jobs 1 2> "$T/k1.log" &
pid=$!
for _ in $(seq 600); do
  [[ $(ls "$T/c-k/models" 2>/dev/null | grep -c 'safetensors$' || true) -ge 1 ]] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.02
done
kill -TERM $pid 2>/dev/null || true
wait $pid || true
n=$(ls "$T/k/runs" 2>/dev/null | grep -c '\.json$' || true)
[[ $n -lt 4 ]] || echo "note: the sweep finished before it could be interrupted"
"$SGP" sweep "$SWEEP" --out "$T/k" --cache "$T/c-k" --jobs 2 2> "$T/k2.log" || { cat "$T/k2.log" >&2; fail "resume"; }
same_table "$T/ref/table.json" "$T/k/table.json" "killed after $n runs, resumed"

# 4. --list | sh, then sgp sweep only assembles
"$SGP" sweep "$SWEEP" --out "$T/l" --cache "$T/c-l" --list > "$T/jobs.sh"
[[ $(grep -vc '^#' "$T/jobs.sh") == 10 ]] || fail "--list: 10 commands"
sh -e "$T/jobs.sh" > "$T/jobs.log" 2>&1 || { tail -20 "$T/jobs.log" >&2; fail "--list commands"; }
"$SGP" sweep "$SWEEP" --out "$T/l" --cache "$T/c-l" 2> "$T/l.log" || fail "assemble"
grep -q "0 job(s) ran, 10 reused" "$T/l.log" || { cat "$T/l.log" >&2; fail "after --list, sgp sweep ran jobs"; }
same_table "$T/ref/table.json" "$T/l/table.json" "--list | sh, then sgp sweep"
echo "e2e_sweep: all checks passed"
