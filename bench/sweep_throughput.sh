#!/usr/bin/env bash
# Sweep throughput (cut points per second, each including the full recovery boot: power returns,
# the bootloader re-verifies and re-installs, the app runs) and the bundled suite's wall time,
# measured side by side in one run with -j 1 and -j 2. The sweep also with --no-share (every
# recovery run in full instead of taking the verdict of an identical one: same report).
#   bench/sweep_throughput.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$here/build}
fwemu=$build/fwemu
[ -x "$fwemu" ] || { echo "build first: scripts/build.sh" >&2; exit 2; }
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for share in "" --no-share; do
  for j in 1 2; do
    a=$(now); "$fwemu" run -j "$j" $share --json "$tmp/s$j.json" "$here/bench/scenarios/sweep-64k.yaml" >"$tmp/out$j" || true; b=$(now)
    n=$(grep -c '"op_seq"' "$tmp/s$j.json")
    f=$(grep -c '"pass": false' "$tmp/s$j.json" || true)
    printf 'sweep-64k -j %s %-10s: %4d cut points (%d failed) in %6.2f s = %7.1f cut points/s\n' "$j" "$share" "$n" "$f" \
      "$(calc "$b - $a")" "$(calc "$n / ($b - $a)")"
  done
done
for j in 1 2; do
  a=$(now); "$fwemu" run -j "$j" >"$tmp/suite$j" || true; b=$(now)
  printf 'bundled suite -j %s: %s in %6.2f s\n' "$j" "$(tail -n1 "$tmp/suite$j")" "$(calc "$b - $a")"
done
