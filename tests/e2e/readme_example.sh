#!/usr/bin/env bash
# The fully commented example of scenarios/README.md (first ```yaml block) runs and passes, so
# the documentation stays true. It names ../build/firmware/app_v2.bin relative to scenarios/, so
# it needs the normal build in build/ (skipped, exit 77, without it).
#   tests/e2e/readme_example.sh FWEMU FIRMWARE_DIR
set -u
fwemu=$1
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[ -f "$repo/build/firmware/app_v2.bin" ] || { echo "no $repo/build: skipped"; exit 77; }
tmp="$repo/scenarios/.readme-example.$$.yml"
trap 'rm -f "$tmp"' EXIT
awk '/^```yaml/ {n++; if (n == 1) {on = 1; next}} /^```/ {on = 0} on' "$repo/scenarios/README.md" >"$tmp"
"$fwemu" run -j2 "$tmp"
