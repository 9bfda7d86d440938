# Shared by the CLI end-to-end scripts (sourced, not a test: ctest runs tests/e2e/*.sh only).
# Gives: $tmp (a scratch directory removed on exit), counters passes/fails, and
#   check NAME EXPECTED_CODE CMD...   run CMD (stdout -> $tmp/out, stderr -> $tmp/err), compare its exit code
#   contains NAME out|err TEXT        TEXT appears in the last command's stdout / stderr
#   same NAME FILE1 FILE2             the files are identical
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0; passes=0
check() {  # check NAME EXPECTED_CODE CMD...
  local name=$1 want=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" = "$want" ]; then passes=$((passes+1)); else
    fails=$((fails+1)); echo "FAIL $name: exit $got, expected $want"; sed 's/^/  /' "$tmp/out" "$tmp/err" | head -20; fi
}
contains() {  # contains NAME FILE TEXT
  if grep -qF -- "$3" "$tmp/$2"; then passes=$((passes+1)); else
    fails=$((fails+1)); echo "FAIL $1: '$3' not in $2"; sed 's/^/  /' "$tmp/$2" | head -20; fi
}
same() {  # same NAME FILE1 FILE2
  if cmp -s "$2" "$3"; then passes=$((passes+1)); else
    fails=$((fails+1)); echo "FAIL $1: $2 and $3 differ"; fi
}
