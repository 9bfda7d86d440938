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

# --layout on image, inspect, boot and run
check "image --layout fota" 2 "$fwemu" image -o "$tmp/f.bin" --bootloader bundled:bootloader \
  --active bundled:app_v1 --active-version 1 --layout mbed-fota
contains "image names the format" err "layout 'mbed-fota' uses the fota header format"
check "image --layout file" 0 "$fwemu" image -o "$tmp/c.bin" --bootloader bundled:bootloader \
  --active bundled:app_v1 --active-version 1 --candidate bundled:app_v2 --candidate-version 2 \
  --layout mbed-classic
"$fwemu" layout --json >"$tmp/classic.json"
check "inspect --layout file" 0 "$fwemu" inspect --layout "$tmp/classic.json" "$tmp/c.bin"
contains "inspect in that layout" out "install candidate v2 then boot it"
check "inspect --layout fota" 2 "$fwemu" inspect --layout mbed-fota "$tmp/c.bin"
contains "inspect names the format" err "inspect decodes v2 headers only"
check "boot --layout" 0 "$fwemu" boot -q --layout mbed-classic "$tmp/c.bin"
check "boot --layout unknown" 2 "$fwemu" boot --layout nope
contains "boot unknown layout" err "fwemu boot: --layout: unknown layout 'nope'"
cat >"$tmp/s.yaml" <<'YAML'
device: {layout: classic.json}
setup:
  active: {image: app_v1, version: 1}
steps:
  - boot: {until: app_running, version: 1}
YAML
check "run device.layout file" 0 "$fwemu" run "$tmp/s.yaml"
check "run --layout" 0 "$fwemu" run --layout mbed-classic "$tmp/s.yaml"
check "run --layout fota" 2 "$fwemu" run --layout mbed-fota "$tmp/s.yaml"
sed 's/classic.json/mbed-fota/' "$tmp/s.yaml" >"$tmp/f.yaml"
check "run device.layout fota" 2 "$fwemu" run "$tmp/f.yaml"
contains "device.layout position" err "f.yaml:1:18: 'layout': 'mbed-fota' uses the fota header format"

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
# the default layout is the genuine v4.1.0's: it installs a candidate fwemu image placed
check "image for the genuine v4.1.0" 0 "$fwemu" image -o "$tmp/g.bin" \
  --bootloader "$mb/k64f-internal_flash-no_rot-v4.1.0.bin" --active bundled:app_v1 --active-version 1 \
  --candidate bundled:app_v2 --candidate-version 2
check "genuine v4.1.0 installs it" 0 "$fwemu" boot --max-time 20 "$tmp/g.bin"
contains "genuine v4.1.0 installed v2" out "[APP] fwemu app v2 running"
contains "genuine v4.1.0 said so" out "New active firmware is valid"
sed 's/MBED_BOOTLOADER_FLASH_BANK_SIZE - KVSTORE_SIZE/MBED_BOOTLOADER_FLASH_BANKSIZE - KVSTORE_SIZE/' \
  "$mb/internal_flash_no_rot-v4.1.0.json" >"$tmp/bad.json"
check "unknown macro" 2 "$fwemu" layout --from-mbed "$tmp/bad.json"
contains "unknown macro named with its key" err \
  "\"update-client.storage-size\": unknown name 'MBED_BOOTLOADER_FLASH_BANKSIZE'"

echo "layout_cli: $passes passed, $fails failed"
[ "$fails" = 0 ]
