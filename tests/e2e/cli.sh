#!/usr/bin/env bash
# End-to-end checks of the fwemu CLI: exit codes, --help, bad input, image -> inspect -> boot.
#   tests/e2e/cli.sh FWEMU FIRMWARE_DIR
set -u
fwemu=$1
fw=$2
. "$(dirname "${BASH_SOURCE[0]}")/lib/checks.sh"

check "no verb" 2 "$fwemu"
check "unknown verb" 2 "$fwemu" frobnicate
for v in boot image inspect run; do
  check "$v --help" 0 "$fwemu" "$v" --help
  contains "$v --help text" out "usage: fwemu $v"
  check "$v bad option" 2 "$fwemu" "$v" --no-such-option
done

# image -> inspect -> boot: active v1 + candidate v2 installs v2
check "image" 0 "$fwemu" image -o "$tmp/f.bin" --bootloader "$fw/bootloader.elf" --active "$fw/app_v1.elf" \
  --active-version 1 --candidate "$fw/app_v2.bin" --candidate-version 2
check "inspect" 0 "$fwemu" inspect "$tmp/f.bin"
contains "inspect decision" out "install candidate v2 then boot it"
check "inspect json" 0 "$fwemu" inspect --json "$tmp/f.bin"
contains "inspect json action" out '"action": "install"'
check "boot installs v2" 0 "$fwemu" boot --json "$tmp/f.bin"
contains "boot outcome" out '"outcome": "app_running"'
contains "boot version" out '"version": 2'

# corrupt active + no candidate: a brick, exit 1, outcome no_bootable_image
check "image v1 only" 0 "$fwemu" image -o "$tmp/b.bin" --bootloader bundled:bootloader --active bundled:app_v1 --active-version 1
printf '\x00' | dd of="$tmp/b.bin" bs=1 seek=$((0x8400 + 200)) conv=notrunc status=none
check "boot brick" 1 "$fwemu" boot --json "$tmp/b.bin"
contains "brick outcome" out '"outcome": "no_bootable_image"'

# bad input: wrong-size dump, missing file, bad numbers, bad ELF
head -c 1000 "$tmp/f.bin" >"$tmp/short.bin"
check "boot short dump" 2 "$fwemu" boot "$tmp/short.bin"
contains "short dump message" err "expected 1048576"
check "boot missing file" 2 "$fwemu" boot "$tmp/nope.bin"
check "inspect short dump" 2 "$fwemu" inspect "$tmp/short.bin"
check "image bad version" 2 "$fwemu" image -o "$tmp/x.bin" --bootloader bundled:bootloader --active bundled:app_v1 --active-version 12x
contains "bad version message" err "'12x' is not a number"
printf '\x7fELF garbage' >"$tmp/bad.elf"
check "boot bad elf" 2 "$fwemu" boot --elf "$tmp/bad.elf"
check "boot bad max-time" 2 "$fwemu" boot --max-time soon
check "run bad jobs" 2 "$fwemu" run -j zero
printf 'name: [unclosed\n' >"$tmp/bad.yaml"
check "run bad yaml" 2 "$fwemu" run "$tmp/bad.yaml"
contains "bad yaml position" err "bad.yaml:"

echo "cli: $passes passed, $fails failed"
[ "$fails" = 0 ]
