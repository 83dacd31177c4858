# Sourced by the shell tests (tests/e2e_*.sh): the program under test, a scratch directory removed
# on exit, failure and success lines, a python3 with the modules a test needs, and the comparison
# of result files outside their "timing" objects.
#   e2e_init            SGP = absolute path of the program ($SGP_PROG, else build/sgp from the
#                       current directory); W = a new scratch directory, removed on exit; cd "$W"
#   e2e_python NAME M   PY = a python3 that imports module M; without one, print a SKIP line
#                       naming test NAME and exit 0 (scripts/deps.sh --test installs it)
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok   $*"; }
e2e_init() {
  SGP=$(realpath "${SGP_PROG:-build/sgp}")
  W=$(mktemp -d "${TMPDIR:-/tmp}/sgp-e2e.XXXXXX")
  trap 'rm -rf "$W"' EXIT
  cd "$W"
}
e2e_python() {
  PY=""
  local p
  for p in /usr/bin/python3 python3; do
    if $p -c "import $2" 2>/dev/null; then PY=$p; return 0; fi
  done
  echo "SKIP $1: no python3 with $2 (scripts/deps.sh --test installs it)"
  exit 0
}
# A JSON file without its "timing" objects (cJSON's pretty print: the object ends at the line with
# the same indentation), so the rest can be compared byte for byte
notiming() {
  awk '
    skip { if ($0 ~ "^" ind "}") { skip = 0 } ; next }
    /^\t*"timing":/ { match($0, /^\t*/); ind = substr($0, 1, RLENGTH); if ($0 ~ /\{$/) skip = 1; next }
    { print }' "$1"
}
