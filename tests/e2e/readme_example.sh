#!/usr/bin/env bash
# The fully commented examples of scenarios/README.md (the format tour, first ```yaml block, and
# the update-flow tour, third block) run and pass, so the documentation stays true. It names ../build/firmware/app_v2.bin relative to scenarios/, so
# it needs the normal build in build/ (skipped, exit 77, without it).
#   tests/e2e/readme_example.sh FWEMU FIRMWARE_DIR
set -u
fwemu=$1
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[ -f "$repo/build/firmware/app_v2.bin" ] || { echo "no $repo/build: skipped"; exit 77; }
# a scratch tree shaped like the repository: scenarios/example.yml next to a build/ link
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/scenarios"
ln -s "$repo/build" "$dir/build"
awk '/^```yaml/ {n++; if (n == 1) {on = 1; next}} /^```/ {on = 0} on' "$repo/scenarios/README.md" \
  >"$dir/scenarios/example.yml"
awk '/^```yaml/ {n++; if (n == 3) {on = 1; next}} /^```/ {on = 0} on' "$repo/scenarios/README.md" \
  >"$dir/scenarios/update-example.yml"
"$fwemu" run -j2 "$dir/scenarios/example.yml" "$dir/scenarios/update-example.yml"
