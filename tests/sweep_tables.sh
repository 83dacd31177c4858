# Sourced by the sweep shell tests (tests/e2e_sweep*.sh): failure and success lines, and the
# comparison of two table.json files outside their "timing" objects. Needs $T (a scratch directory).
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok   $*"; }
# table.json without its "timing" objects (cJSON's pretty print: the object ends at the line
# with the same indentation), so the rest can be compared byte for byte
notiming() {
  awk '
    skip { if ($0 ~ "^" ind "}") { skip = 0 } ; next }
    /^\t*"timing":/ { match($0, /^\t*/); ind = substr($0, 1, RLENGTH); if ($0 ~ /\{$/) skip = 1; next }
    { print }' "$1"
}
same_table() {
  diff <(notiming "$1") <(notiming "$2") > "$T/diff.txt" || { head -20 "$T/diff.txt" >&2; fail "$3: table.json differs (timing excluded)"; }
  grep -q '"timing"' "$1" || fail "no timing object in $1"
  ok "$3: table.json identical outside timing"
}
