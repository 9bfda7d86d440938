#!/usr/bin/env bash
# Same inputs and seed give the same results, byte for byte, with any -j: the JSON report of the
# bundled suite (sweeps included, timing fields removed) is identical with -j 1 and -j 2, and a
# replayed cut point reproduces the sweep's outcome for it.
#   tests/e2e/determinism.sh FWEMU FIRMWARE_DIR
set -u
fwemu=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$fwemu" run -j 1 --seed 7 --json "$tmp/j1.json" >/dev/null 2>&1; r1=$?
"$fwemu" run -j 2 --seed 7 --json "$tmp/j2.json" >/dev/null 2>&1; r2=$?
strip() { grep -v -E '"(time_s|command)"' "$1"; }
fails=0
if [ $r1 != 0 ] || [ $r2 != 0 ]; then echo "FAIL: suite exit codes $r1 / $r2"; fails=1; fi
if ! diff <(strip "$tmp/j1.json") <(strip "$tmp/j2.json") >"$tmp/diff"; then
  echo "FAIL: -j 1 and -j 2 reports differ:"; head -20 "$tmp/diff"; fails=1
fi
n=$(grep -c '"op_seq"' "$tmp/j1.json")
[ "$n" -gt 10 ] || { echo "FAIL: only $n cut points in the report"; fails=1; }
# replay one cut point of the sweep and compare its outcome with the sweep's table
id=$(grep -m1 -o '"id": "install-sweep@[0-9]*t"' "$tmp/j1.json" | sed 's/.*: "\(.*\)"/\1/')
want=$(grep -A8 "\"id\": \"$id\"" "$tmp/j1.json" | grep -m1 '"outcome"' | sed 's/.*: "\(.*\)",*/\1/')
got=$("$fwemu" run --seed 7 --replay "$id" 2>&1 | grep -m1 "^PASS\|^FAIL")
case "$got" in PASS*) ;; *) echo "FAIL: replay of $id: $got"; fails=1;; esac
"$fwemu" run --seed 7 --replay "$id" --json "$tmp/r.json" >/dev/null 2>&1
grep -q "\"outcome\": \"$want\"" "$tmp/r.json" || { echo "FAIL: replay outcome differs from the sweep's ($want)"; fails=1; }
echo "determinism: $((1 - fails)) passed, $fails failed"
[ $fails = 0 ]
