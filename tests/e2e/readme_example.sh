#!/usr/bin/env bash
# The fully commented examples of scenarios/README.md (the format tour, first ```yaml block, and
# the update-flow tour, third block) run and pass, so the documentation stays true. They name
# ../build/firmware/app_v2.bin relative to scenarios/: the scratch tree below links build/ to
# the build directory this test belongs to (FIRMWARE_DIR's parent).
#   tests/e2e/readme_example.sh FWEMU FIRMWARE_DIR
set -u
fwemu=$1
fw=$2
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[ -f "$fw/app_v2.bin" ] || { echo "FAIL: $fw/app_v2.bin missing (the firmware build makes it)"; exit 1; }
# a scratch tree shaped like the repository: scenarios/example.yml next to a build/ link
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/scenarios"
ln -s "$(cd "$fw/.." && pwd)" "$dir/build"
for x in 1:example 3:update-example; do
  awk -v want="${x%%:*}" '/^```yaml/ {n++; if (n == want) {on = 1; next}} /^```/ {on = 0} on' \
    "$repo/scenarios/README.md" >"$dir/scenarios/${x#*:}.yml"
  [ -s "$dir/scenarios/${x#*:}.yml" ] ||
    { echo "FAIL: scenarios/README.md has no yaml block ${x%%:*} (the ${x#*:})"; exit 1; }
done
"$fwemu" run -j2 "$dir/scenarios/example.yml" "$dir/scenarios/update-example.yml"
