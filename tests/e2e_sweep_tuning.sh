#!/usr/bin/env bash
# The tuning stage of a sweep (docs/sweeps.md, "Tuning") with TEST-ONLY fake jobs: report seeds
# never enter tuning. The fixture's "trap" agent wins with quality 0.95 on the tuning seeds (>= 100)
# and would win with quality 0.1 on the report seeds (the fake planner flips quality below
# flip_below), so a choice that looked at report results shows. Checks: the choice; every tuning
# run (from its config file) has a tuning seed and every report run a report seed, with disjoint
# run, dataset and model keys; table.json's "tuning" object (seeds, and per agent grid, scores,
# chosen); a rerun runs nothing; a stored result is used without running the tuning and refused
# once stale; overlapping seeds and an unequal number of settings are rejected before anything
# is written; --list in the tuning stage says what comes next; matched planning time: the count
# found by calibration, used by the report runs, taken from a stored result without measuring.
set -euo pipefail
SRC=${SGP_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
SGP=${SGP_PROG:-$SRC/build/sgp}
FIX=$SRC/tests/fixtures/sweep/tuning.json
if ! command -v python3 > /dev/null; then
  echo "SKIP e2e_sweep_tuning: python3 is needed to read the JSON (scripts/deps.sh --test)"
  exit 0
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/sgp-e2e-tuning.XXXXXX")
trap 'rm -rf "$T"' EXIT
source "$SRC/tests/shell_lib.sh"
sweep() { "$SGP" sweep "$1" --fake-jobs --cache "$T/cache" --jobs 2 "${@:2}"; }

# 1. tuning stage, then the report runs at the chosen settings
sweep "$FIX" --out "$T/a" 2> "$T/a.log" || { cat "$T/a.log" >&2; fail "sweep with a tuning stage"; }
grep -q "tuning stage done" "$T/a.log" || fail "no tuning stage in the log"
python3 - "$T/a" <<'EOF' || fail "tuning checks (above)"
import json, sys, os
out = sys.argv[1]
tab = json.load(open(os.path.join(out, "table.json")))
tun = json.load(open(os.path.join(out, "tuning.json")))
tuning_seeds, report_seeds = {100, 101}, {0, 1, 2}
t = tab["tuning"]
assert t["seeds"] == [100, 101], t["seeds"]
assert set(t["agents"]) == {"trap", "ens"}, t["agents"].keys()
for name, ag in t["agents"].items():
    for k in ("grid", "scores", "chosen"):
        assert k in ag, (name, k)
for row in ("fake-2d/uniform", "fake-4d/small"):
    assert t["agents"]["trap"]["chosen"][row] == {"quality": 0.95}, t["agents"]["trap"]["chosen"][row]
    assert len(t["agents"]["trap"]["scores"][row]) == 2 and len(t["agents"]["ens"]["scores"][row]) == 2
print("ok   trap chose quality 0.95 on every row (0.1 would win on the report seeds)")
def cfg(key):
    return json.load(open(os.path.join(out, "configs", "run-%s.json" % key)))
tkeys, tdata, tmodels = set(), set(), set()
for ag in t["agents"].values():
    for row, scores in ag["scores"].items():
        for sc in scores:
            assert len(sc["values"]) == 2 and len(sc["runs"]) == 2
            for k in sc["runs"]:
                c = cfg(k)
                assert c["seed"] in tuning_seeds, ("tuning run with a report seed", k, c["seed"])
                tkeys.add(k); tdata.add(c["dataset"]); tmodels.update(c.get("models", {}).values())
rkeys, rdata, rmodels = set(), set(), set()
for r in tab["runs"]:
    assert r["seed"] in report_seeds, ("report run with a tuning seed", r)
    c = cfg(r["key"])
    assert c["seed"] in report_seeds
    rkeys.add(r["key"]); rdata.add(c["dataset"]); rmodels.update(c.get("models", {}).values())
assert not (tkeys & rkeys) and not (tdata & rdata) and not (tmodels & rmodels), "shared runs, data or models"
print("ok   %d tuning runs on seeds 100-101 only, %d report runs on seeds 0-2 only; no run, dataset or model shared"
      % (len(tkeys), len(rkeys)))
# the trap's report cells run quality 0.95, which the report seeds flip to 0.05
for c in tab["cells"]:
    if c["agent"] == "trap":
        assert c["metrics"]["success"]["mean"] < 40, c["metrics"]["success"]
assert tun["agents"] == {k: {kk: vv for kk, vv in v.items()} for k, v in tun["agents"].items()}
EOF
grep -q '^## Tuning' "$T/a/table.md" || fail "table.md has no tuning section"
grep -q '| fake-2d | uniform | trap | quality=0.95 |' "$T/a/table.md" || fail "table.md tuning row"
ok "tuning section in table.md"

# 2. a rerun runs nothing
sweep "$FIX" --out "$T/a" 2> "$T/a2.log" || fail "rerun"
grep -q "0 job(s) ran" "$T/a2.log" || { cat "$T/a2.log" >&2; fail "rerun ran jobs"; }
grep -q "tuning stage" "$T/a2.log" && fail "rerun ran the tuning stage again"
ok "rerun: nothing runs, the tuning result is reused"

# 3. a stored result: used without the tuning runs; refused once the sweep changes
mkdir -p "$T/s"
cp "$T/a/tuning.json" "$T/s/stored.json"
python3 -c "
import json,sys; s=json.load(open('$FIX')); s['tuning']['result']='stored.json'; json.dump(s,open('$T/s/sweep.json','w'))"
sweep "$T/s/sweep.json" --out "$T/b" 2> "$T/b.log" || { cat "$T/b.log" >&2; fail "sweep with a stored result"; }
grep -q "tuning stage" "$T/b.log" && fail "a stored result still ran the tuning stage"
[[ ! -e $T/b/tuning.json ]] || fail "a stored result wrote tuning.json"
grep -q '"source":	"stored.json"' "$T/b/table.json" || fail "table.json does not name the stored result"
ok "stored result used, no tuning run"
python3 -c "
import json; s=json.load(open('$T/s/sweep.json')); s['agents'][1]['tune']['quality']=[0.3, 0.7]; json.dump(s,open('$T/s/stale.json','w'))"
if sweep "$T/s/stale.json" --out "$T/c" 2> "$T/c.log"; then fail "a stale stored result was accepted"; fi
grep -q "does not match this sweep" "$T/c.log" || { cat "$T/c.log" >&2; fail "stale message"; }
[[ ! -e $T/c ]] || fail "a refused sweep wrote its output directory"
ok "stale stored result refused: $(head -c 160 "$T/c.log")..."
sweep "$T/s/stale.json" --out "$T/c" --retune 2> "$T/c2.log" || { cat "$T/c2.log" >&2; fail "--retune"; }
grep -q "tuning stage done" "$T/c2.log" || fail "--retune did not tune"
ok "--retune runs the tuning stage"

# 4. rejected before anything is written
python3 -c "
import json; s=json.load(open('$FIX')); s['tuning']['seeds']=[2, 100]; json.dump(s,open('$T/bad1.json','w'))
s=json.load(open('$FIX')); s['agents'][0]['tune']['quality']=[0.1, 0.5, 0.9]; json.dump(s,open('$T/bad2.json','w'))
s=json.load(open('$FIX')); del s['tuning']; json.dump(s,open('$T/bad3.json','w'))"
for k in 1 2 3; do
  if sweep "$T/bad$k.json" --out "$T/bad$k" 2> "$T/bad$k.log"; then fail "bad$k accepted"; fi
  [[ ! -e $T/bad$k ]] || fail "bad$k wrote its output"
  echo "ok   rejected: $(cat "$T/bad$k.log")"
done
grep -q "/tuning/seeds/0: seed 2 is also a report seed" "$T/bad1.log" || fail "overlap message"
grep -q "/agents/0/tune: 3 setting(s)" "$T/bad2.log" || fail "rule message"
grep -q "needs the sweep's /tuning section" "$T/bad3.log" || fail "tune without tuning message"

# 6. matched planning time (budget.match_time): the fake planners report a modelled planning time
# (plan_ms per step and episode, x samples / 100), so the count is known: "samp" takes 5 ms per
# step at 100 samples against the reference's 10 ms, so 200 samples match it exactly; the
# reference's wall clock is 3 times its CPU time, so a match of wall clocks would give 600
BUD=$SRC/tests/fixtures/sweep/budget.json
sweep "$BUD" --out "$T/m" 2> "$T/m.log" || { cat "$T/m.log" >&2; fail "sweep with matched time"; }
grep -q "matched time: samp on fake-2d/uniform: samples 100: .* (ratio 0.50)" "$T/m.log" || { cat "$T/m.log" >&2; fail "first calibration round"; }
python3 - "$T/m" <<'EOF2' || fail "matched time checks (above)"
import json, sys, os, glob
out = sys.argv[1]
mt = json.load(open(os.path.join(out, "tuning.json")))["matched_time"]
m = mt["agents"]["samp"]["fake-2d/uniform"]
assert m["value"] == 200 and m["tuned_value"] == 100 and m["within_tolerance"], m
assert [r["value"] for r in m["timing"]["rounds"]] == [100, 200], m["timing"]["rounds"]
assert "ref" not in mt["agents"], "the reference is not matched"
tab = json.load(open(os.path.join(out, "table.json")))
n = 0
for r in tab["runs"]:
    if r["agent"] == "samp":
        assert r["planner"]["samples"] == 200, r["planner"]; n += 1
assert n == 2, n
print("ok   matched count 200 (rounds 100 -> 200), used by", n, "report runs")
EOF2
grep -q "(200 samples, matched)" "$T/m/table.md" || fail "budget table does not mark the matched count"
sweep "$BUD" --out "$T/m" 2> "$T/m1.log" || { cat "$T/m1.log" >&2; fail "rerun"; }
grep -q "matched time" "$T/m1.log" && fail "a rerun measured the planning time again"
sweep "$BUD" --out "$T/m" --retune 2> "$T/m1.log" || { cat "$T/m1.log" >&2; fail "--retune over OUT/tuning.json"; }
grep -q "matched time: samp" "$T/m1.log" || fail "--retune did not measure the planning time again"
grep -q "(200 samples, matched)" "$T/m/table.md" || fail "matched count after --retune"
ok "a rerun reuses OUT/tuning.json; --retune measures again"
# stored: the report runs take the recorded count and nothing is measured
mkdir -p "$T/ms"
cp "$T/m/tuning.json" "$T/ms/stored.json"
python3 -c "
import json; s=json.load(open('$BUD')); s['tuning']['result']='stored.json'; json.dump(s,open('$T/ms/sweep.json','w'))
t=json.load(open('$T/m/tuning.json')); del t['matched_time']; json.dump(t,open('$T/ms/nomatch.json','w'))
s['tuning']['result']='nomatch.json'; json.dump(s,open('$T/ms/nomatch-sweep.json','w'))"
sweep "$T/ms/sweep.json" --out "$T/m2" 2> "$T/m2.log" || { cat "$T/m2.log" >&2; fail "matched time from a stored result"; }
grep -q "matched time" "$T/m2.log" && fail "a stored result still measured the planning time"
[[ ! -e $T/m2/calibration ]] || fail "a stored result ran calibration evaluations"
grep -q "(200 samples, matched)" "$T/m2/table.md" || fail "stored matched count not used"
ok "stored matched count used, nothing measured"
if sweep "$T/ms/nomatch-sweep.json" --out "$T/m3" 2> "$T/m3.log"; then fail "a stored result without matched_time was accepted"; fi
grep -q "no matched planning times" "$T/m3.log" || { cat "$T/m3.log" >&2; fail "message for a stored result without matched_time"; }
ok "stored result without matched times refused"

# 5. --list in the tuning stage
sweep "$FIX" --out "$T/l" --list > "$T/l.txt" || fail "--list"
grep -q "jobs of the tuning stage" "$T/l.txt" || fail "--list does not say it lists the tuning stage"
grep -q "eval --config" "$T/l.txt" || fail "--list lists no tuning runs"
ok "--list in the tuning stage"
echo "e2e_sweep_tuning: all checks passed"
