# Sourced by the sweep shell tests (tests/e2e_sweep*.sh): tests/shell_lib.sh, and the comparison of
# two table.json files outside their "timing" objects. Needs $T (a scratch directory).
source "$(dirname "${BASH_SOURCE[0]}")/shell_lib.sh"
same_table() {
  diff <(notiming "$1") <(notiming "$2") > "$T/diff.txt" || { head -20 "$T/diff.txt" >&2; fail "$3: table.json differs (timing excluded)"; }
  grep -q '"timing"' "$1" || fail "no timing object in $1"
  ok "$3: table.json identical outside timing"
}
