#!/usr/bin/env bash
# fwemu layout: the bundled layouts, layout files, and the two genuine Mbed configurations beside
# the genuine bootloaders (../shared/firmware/mbed-bootloader, see its README) derived to exactly
# the bundled mbed-classic and mbed-fota layouts. Skipped (77) when that folder is absent.
#   tests/e2e/layout_cli.sh FWEMU FIRMWARE_DIR
set -u
fwemu=$1
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$(dirname "${BASH_SOURCE[0]}")/lib/checks.sh"

check "layout --help" 0 "$fwemu" layout --help
contains "layout --help text" out "usage: fwemu layout"
check "layout bad option" 2 "$fwemu" layout --no-such-option
check "layout default" 0 "$fwemu" layout
contains "default is mbed-classic" out "layout mbed-classic: header format v2"
contains "classic candidate" out "candidate-header   0x00088000 0x00088070"
check "layout mbed-fota" 0 "$fwemu" layout mbed-fota
contains "fota app" out "active-app         0x00008200 0x00080000 0x77E00"
check "unknown layout" 2 "$fwemu" layout mbed-nope
contains "unknown layout lists the bundled" err "unknown layout 'mbed-nope' (bundled: mbed-classic, mbed-fota"
check "--target needs --from-mbed" 2 "$fwemu" layout --target K64F

# --json loads back as a file, and a bad file names the key
check "fota json" 0 "$fwemu" layout mbed-fota --json
cp "$tmp/out" "$tmp/fota.json"
check "layout file" 0 "$fwemu" layout --json "$tmp/fota.json"
same "layout file round trip" "$tmp/out" "$tmp/fota.json"
sed 's/"update-client.storage-size"/"update-client.storage-sise"/' "$tmp/fota.json" >"$tmp/typo.json"
check "layout file typo" 2 "$fwemu" layout "$tmp/typo.json"
contains "typo named" err 'typo.json: unknown key "update-client.storage-sise"'

mb=$repo/../shared/firmware/mbed-bootloader
if [ ! -d "$mb" ]; then
  echo "layout_cli: $passes passed, $fails failed; Mbed configs skipped ($mb absent)"
  [ "$fails" = 0 ] || exit 1
  exit 77
fi
derive() {  # derive NAME CONFIG: --from-mbed CONFIG equals the bundled layout NAME (but its name)
  check "derive $2" 0 "$fwemu" layout --json --from-mbed "$mb/$2" --target K64F
  grep -v '"name"' "$tmp/out" >"$tmp/derived"
  check "bundled $1" 0 "$fwemu" layout --json "$1"
  grep -v '"name"' "$tmp/out" >"$tmp/bundled"
  same "$2 derives $1" "$tmp/derived" "$tmp/bundled"
}
derive mbed-classic internal_flash_no_rot-v4.1.0.json
derive mbed-fota k64f-internal_flash-fota-95fa885.mbed_lib.json
sed 's/MBED_BOOTLOADER_FLASH_BANK_SIZE - KVSTORE_SIZE/MBED_BOOTLOADER_FLASH_BANKSIZE - KVSTORE_SIZE/' \
  "$mb/internal_flash_no_rot-v4.1.0.json" >"$tmp/bad.json"
check "unknown macro" 2 "$fwemu" layout --from-mbed "$tmp/bad.json"
contains "unknown macro named with its key" err \
  "\"update-client.storage-size\": unknown name 'MBED_BOOTLOADER_FLASH_BANKSIZE'"

echo "layout_cli: $passes passed, $fails failed"
[ "$fails" = 0 ]
