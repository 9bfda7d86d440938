#!/usr/bin/env bash
# Same inputs and seed give the same results, byte for byte, with any -j: the JSON report of a
# set of bundled scenarios (the install sweep, update flows with server faults, and a sweep over an
# update: sweeps with de-duplicated cut points, timing fields removed) is identical with -j 1 and
# -j 3 (workers then run different shares of cut points from their own snapshots), identical
# but for the "(state of ...)" marks with --no-share (every recovery run in full: recovery
# sharing and de-duplication change no verdict, outcome or boot count), and a replayed cut point
# reproduces the sweep's outcome for it. (The whole suite takes minutes; ctest
# runs every scenario on its own anyway.)
#   tests/e2e/determinism.sh FWEMU FIRMWARE_DIR
set -u
fwemu=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
here=$(cd "$(dirname "$0")/../.." && pwd)
# the update sweep, sampled (every 4th cut point), as a scratch scenario (bundled images only, so
# it runs from anywhere)
sample=$tmp/update-sweep-sample.yaml
sed -e 's/^name: update-delta-sweep/name: update-sweep-sample/' -e 's/^  modes: \[before, after\]/  select: {every: 4}\n  modes: [before, after]/' \
  "$here/scenarios/update-delta-sweep.yaml" >"$sample"
grep -q '^name: update-sweep-sample' "$sample" && grep -q '^  select: {every: 4}' "$sample" ||
  { echo "FAIL: scenarios/update-delta-sweep.yaml no longer has the lines this test samples"; exit 1; }
set_=("$here/scenarios/install-sweep.yaml" "$here/scenarios/update-delta.yaml" "$here/scenarios/update-link-drop-payload.yaml"
      "$sample")
"$fwemu" run -j 1 --seed 7 --json "$tmp/j1.json" "${set_[@]}" >/dev/null 2>&1; r1=$?
"$fwemu" run -j 3 --seed 7 --json "$tmp/j2.json" "${set_[@]}" >/dev/null 2>&1; r2=$?
"$fwemu" run -j 2 --seed 7 --no-share --json "$tmp/ns.json" "${set_[@]}" >/dev/null 2>&1; r3=$?
strip() { grep -v -E '"(time_s|command)"' "$1"; }
unshared() { strip "$1" | sed -e 's/ (state of [^)]*)"/"/'; }
fails=0
if [ $r1 != 0 ] || [ $r2 != 0 ] || [ $r3 != 0 ]; then echo "FAIL: suite exit codes $r1 / $r2 / $r3"; fails=1; fi
if ! diff <(strip "$tmp/j1.json") <(strip "$tmp/j2.json") >"$tmp/diff"; then
  echo "FAIL: -j 1 and -j 3 reports differ:"; head -20 "$tmp/diff"; fails=1
fi
if ! diff <(unshared "$tmp/j1.json") <(unshared "$tmp/ns.json") >"$tmp/diff"; then
  echo "FAIL: reports with and without --no-share differ:"; head -20 "$tmp/diff"; fails=1
fi
n=$(grep -c '"op_seq"' "$tmp/j1.json")
[ "$n" -gt 10 ] || { echo "FAIL: only $n cut points in the report"; fails=1; }
# replay one cut point of the sweep and compare its outcome with the sweep's table
# a cut point whose recovery the sweep ran for another cut with the same state (de-duplicated):
# replayed on its own it must come out the same
id=$(grep -B8 '"outcome": ".*(state of ' "$tmp/j1.json" | grep -m1 -o '"id": "install-sweep@[0-9]*[bat]"' | sed 's/.*: "\(.*\)"/\1/')
[ -n "$id" ] || { echo "FAIL: no de-duplicated cut point in install-sweep"; fails=1; }
want=$(grep -A8 "\"id\": \"$id\"" "$tmp/j1.json" | grep -m1 '"outcome"' | sed 's/.*: "\(.*\)",*/\1/' | sed 's/ (state of [^)]*)$//')
got=$("$fwemu" run --seed 7 --replay "$id" "$here/scenarios/install-sweep.yaml" 2>&1 | grep -m1 "^PASS\|^FAIL")
case "$got" in PASS*) ;; *) echo "FAIL: replay of $id: $got"; fails=1;; esac
"$fwemu" run --seed 7 --replay "$id" --json "$tmp/r.json" "$here/scenarios/install-sweep.yaml" >/dev/null 2>&1
grep -q "\"outcome\": \"$want\"" "$tmp/r.json" || { echo "FAIL: replay outcome differs from the sweep's ($want)"; fails=1; }
echo "determinism: $((1 - fails)) passed, $fails failed"
[ $fails = 0 ]
