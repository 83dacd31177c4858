#!/usr/bin/env bash
# Every result number quoted in README.md and docs/reproducing-the-paper.md appears, at the
# precision it is written with, in the committed result file its region cites
# (`<!-- numbers: results/reference/NAME/table.json -->`; tests/doc_numbers.py has the rules,
# docs/CONTRIBUTING.md the convention). First the checker is shown to fail where it must: a
# number rounded twice, a number in no file, a wrong duration, a region that cites nothing, a
# missing file.
set -euo pipefail
SRC=${SGP_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
CHECK=$SRC/tests/doc_numbers.py
T=$(mktemp -d "${TMPDIR:-/tmp}/sgp-e2e-docnum.XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*" >&2; fails=$((fails + 1)); }

mkdir -p "$T/r"
cat > "$T/r/table.json" <<'J'
{"cells": [{"metrics": {"plan_gap": {"mean": 0.07449, "values": [0.0734, 0.0756]},
  "normalized_score": {"mean": 93.05, "ci_half": 1.74}}}],
 "timing": {"sweep_wall_s": 204.3, "samples_per_s": 15620.8},
 "sweep": {"config": {"beta": 0.3}}}
J
# expects: the checker fails with one line naming file:line and the number
expect_fail() {
  local what=$1 doc=$2 want=$3
  printf '%s\n' "$doc" > "$T/doc.md"
  local rc=0
  python3 "$CHECK" "$T" doc.md > "$T/out" 2> "$T/err" || rc=$?
  if [[ $rc -ne 0 ]] && grep -qF -- "$want" "$T/err"; then ok "$what: $(head -1 "$T/err")"
  else bad "$what: exit $rc, wanted [$want]: $(cat "$T/err")"; fi
}
expect_pass() {
  local what=$1 doc=$2
  printf '%s\n' "$doc" > "$T/doc.md"
  if python3 "$CHECK" "$T" doc.md > "$T/out" 2> "$T/err"; then ok "$what: $(cat "$T/out")"
  else bad "$what: $(cat "$T/err")"; fi
}
M='<!-- numbers: r/table.json -->'
expect_pass "correct roundings" "$M
SGP 93.1 ± 1.7 (lowest seed 93.05), plan gap 0.074 (0.073–0.076), sweep 3 min 24 s, β = 7.5, 20k samples"
expect_fail "rounded twice (0.07449 -> 0.0745 -> 0.075)" "$M
plan gap 0.075" "doc.md:2: 0.075 is in none of r/table.json"
expect_fail "a number in no file" "$M
scores 94–98" "doc.md:2: 94 is in none"
expect_fail "a configuration value is no result" "$M
final cost 0.3" "doc.md:2: 0.3 is in none"
expect_fail "a wrong duration" "$M
the sweep took 3 min 4 s" "doc.md:2: duration '3 min 4 s'"
expect_fail "numbers outside a declared region" "intro
SGP scores 93.1" "doc.md:2: numbers outside a declared region"
expect_fail "none needs a reason" "<!-- numbers: none -->
x 1.5" "doc.md:1: 'numbers: none' needs a reason"
expect_fail "a missing cited file" "<!-- numbers: r/nothing.json -->
x 93.1" "cited file r/nothing.json cannot be read"
expect_fail "a time in ms or µs is a result, not a size" "<!-- numbers: r/table.json -->
the sweep took 204.3 s, one step 7.5 ms" "7.5 is in none of"
expect_pass "a thousands separator is part of the number" "$M
throughput 15,621/s"
expect_fail "a wrong number with a thousands separator" "$M
throughput 15,700/s" "doc.md:2: 15700 is in none of"
expect_pass "declared as not results" "<!-- numbers: none: settings -->
lr 0.123 and 4.56"

# the real documents: README.md, docs/reproducing-the-paper.md, and every other page of docs/ that
# declares regions (docs/CONTRIBUTING.md only shows the convention)
docs=(README.md docs/reproducing-the-paper.md)
for f in "$SRC"/docs/*.md; do
  rel=docs/$(basename "$f")
  [[ $rel == docs/reproducing-the-paper.md || $rel == docs/CONTRIBUTING.md ]] && continue
  grep -q '<!-- numbers:' "$f" && docs+=("$rel")
done
if out=$(python3 "$CHECK" "$SRC" "${docs[@]}" 2>&1); then
  ok "${docs[*]}:"; echo "$out"
else
  bad "numbers in the docs that are not in the result files they cite (fix the number or the citation):"
  echo "$out" >&2
fi
[[ $fails -eq 0 ]] || { echo "$fails failure(s)" >&2; exit 1; }
echo "all doc-number checks passed"
