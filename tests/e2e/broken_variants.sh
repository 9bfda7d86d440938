#!/usr/bin/env bash
# Proof that the harness finds real bricking bugs: the bundled bootloader suite (every scenario
# but the update client's update-*.yaml, which ctest runs on the real bootloader on their own)
# passes against the real bootloader and fails against each deliberately broken variant
# (firmware/README.md).
#   tests/e2e/broken_variants.sh FWEMU FIRMWARE_DIR
set -u
fwemu=$1
here=$(cd "$(dirname "$0")/../.." && pwd)
suite=()
for f in "$here"/scenarios/*.yaml; do
  case "$(basename "$f")" in update-*) ;; *) suite+=("$f");; esac
done
[ ${#suite[@]} -gt 0 ] || { echo "FAIL: no bootloader scenarios in $here/scenarios"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
out=$tmp/out
fails=0
"$fwemu" run -j2 "${suite[@]}" >"$out" 2>&1
rc=$?
if [ $rc != 0 ]; then echo "FAIL: the bundled suite does not pass on the real bootloader (exit $rc)"; tail -5 "$out"; fails=$((fails+1)); fi
for v in erase_candidate_early header_first no_verify no_size_bound no_watchdog_refresh; do
  "$fwemu" run -j2 --bootloader "bundled:$v" "${suite[@]}" >"$out" 2>&1
  rc=$?
  if [ $rc = 1 ]; then
    echo "caught $v: $(grep -c '^FAIL' "$out") failing scenarios ($(grep '^FAIL' "$out" | awk '{print $2}' | tr '\n' ' '))"
  else
    echo "FAIL: the suite does not catch bootloader variant $v (exit $rc)"; fails=$((fails+1))
  fi
done
echo "broken variants: $((6 - fails)) passed, $fails failed"
[ $fails = 0 ]
