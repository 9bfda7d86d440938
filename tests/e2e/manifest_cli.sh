#!/usr/bin/env bash
# End-to-end checks of `fwemu keys` and `fwemu manifest`: exit codes, --help, key files, signing
# with the bundled and a fresh key, verification, determinism, JSON, bad input naming the field.
#   tests/e2e/manifest_cli.sh FWEMU FIRMWARE_DIR
set -u
fwemu=$1
fw=$2
. "$(dirname "${BASH_SOURCE[0]}")/lib/checks.sh"
hex2bin() { printf "$(printf '%s' "$1" | tr -d ' \n' | sed 's/../\\x&/g')"; }

dev_pub=047336597069f58c577d9ac860a7249a4b206ab8230247b8e8c551708c94180087b14a8b0c57e8818c2ff3330663160d93ef39d64029744a8f2917b43c88544b2b
payload=$fw/app_v2.bin
for f in app_v1.bin app_v2.bin; do
  [ -f "$fw/$f" ] || { echo "FAIL: $fw/$f missing (the firmware build makes it)"; exit 1; }
done

# --help and usage errors
for v in manifest keys; do
  check "$v --help" 0 "$fwemu" "$v" --help
  contains "$v --help text" out "usage: fwemu $v"
  check "$v no sub-command" 2 "$fwemu" "$v"
  check "$v unknown sub-command" 2 "$fwemu" "$v" frobnicate
  check "$v create bad option" 2 "$fwemu" "$v" create --no-such-option
done
check "manifest create --help" 0 "$fwemu" manifest create --help
contains "help names the TEST key" out "TEST key"

# keys
check "keys show bundled" 0 "$fwemu" keys show bundled:dev
contains "bundled public point" out "$dev_pub"
check "keys show --c" 0 "$fwemu" keys show bundled:dev --c dev_pub
contains "C array" out "const uint8_t dev_pub[65] = {"
contains "C array bytes" out "0x04, 0x73, 0x36, 0x59"
check "keys show bad C name" 2 "$fwemu" keys show bundled:dev --c 1bad
check "keys create" 0 "$fwemu" keys create -o "$tmp/k.pem" --public "$tmp/p.pem"
contains "keys create summary" out "wrote $tmp/k.pem"
mode=$(stat -c %a "$tmp/k.pem")
if [ "$mode" = 600 ]; then passes=$((passes+1)); else fails=$((fails+1)); echo "FAIL key mode $mode, expected 600"; fi
contains "private PEM" k.pem "BEGIN EC PRIVATE KEY"
contains "public PEM" p.pem "BEGIN PUBLIC KEY"
check "keys show private" 0 "$fwemu" keys show "$tmp/k.pem"
cp "$tmp/out" "$tmp/kpt"
check "keys show public" 0 "$fwemu" keys show "$tmp/p.pem"
same "private and public point" "$tmp/kpt" "$tmp/out"
check "keys create without -o" 2 "$fwemu" keys create
check "keys show missing file" 2 "$fwemu" keys show "$tmp/none.pem"
contains "missing key names the file" err "none.pem"
printf 'not a key\n' >"$tmp/junk.pem"
check "keys show junk" 2 "$fwemu" keys show "$tmp/junk.pem"

# manifest create / show with the bundled dev key
check "create raw" 0 "$fwemu" manifest create --payload "$payload" --version 2 -o "$tmp/m.der"
contains "create summary" out "v2 raw-binary"
contains "create says TEST key" out "TEST"
check "show" 0 "$fwemu" manifest show "$tmp/m.der"
contains "show version" out "payload-version:     2"
contains "show vendor" out "vendor-id:           06a51bd6-a81f-5436-9f79-688945d28390"
contains "show class" out "class-id:            f7f2c1cc-c293-5fd3-b7f7-1f37817b3549"
contains "show format" out "payload-format:      raw-binary (1)"
contains "show valid" out "signature: valid"
check "create again" 0 "$fwemu" manifest create --payload "$payload" --version 2 -o "$tmp/m2.der"
same "deterministic" "$tmp/m.der" "$tmp/m2.der"
check "show with the wrong key" 1 "$fwemu" manifest show "$tmp/m.der" --key "$tmp/p.pem"
contains "show invalid" out "signature: INVALID"
check "show --no-verify" 0 "$fwemu" manifest show --no-verify "$tmp/m.der"
contains "not checked" out "signature: not checked"
check "show --json" 0 "$fwemu" manifest show --json "$tmp/m.der"
contains "json format" out '"payload-format": "raw-binary"'
contains "json valid" out '"signature": "valid"'
contains "json no metadata" out '"payload-metadata": null'

# a fresh key, ids from names, uri, JSON from create
check "create with key" 0 "$fwemu" manifest create --payload "$payload" --version 3 -o "$tmp/k.der" \
  --key "$tmp/k.pem" --vendor-domain example.com --model-name widget --uri fw.bin --json
contains "create json vendor" out '"vendor-id": "cfbff0d1-9375-5685-968c-48ce8b15ae17"'
contains "create json class" out '"class-id": "f5e4466a-4072-5256-b5b1-d52d97266c9e"'
contains "create json uri" out '"payload-uri": "fw.bin"'
check "show with its public key" 0 "$fwemu" manifest show "$tmp/k.der" --key "$tmp/p.pem"
contains "valid with public key" out "signature: valid"
check "show with the dev key" 1 "$fwemu" manifest show "$tmp/k.der"
check "create with explicit ids" 0 "$fwemu" manifest create --payload "$payload" --version 3 -o "$tmp/i.der" \
  --vendor-id 00112233-4455-6677-8899-aabbccddeeff --class-id 00112233445566778899AABBCCDDEEFF
check "show explicit ids" 0 "$fwemu" manifest show "$tmp/i.der"
contains "explicit vendor" out "vendor-id:           00112233-4455-6677-8899-aabbccddeeff"
check "sign with a public key" 2 "$fwemu" manifest create --payload "$payload" --version 2 -o "$tmp/x.der" --key "$tmp/p.pem"

# bad arguments
check "missing --version" 2 "$fwemu" manifest create --payload "$payload" -o "$tmp/x.der"
check "bad version" 2 "$fwemu" manifest create --payload "$payload" --version 12x -o "$tmp/x.der"
contains "bad version message" err "'12x' is not a number"
check "bad vendor-id" 2 "$fwemu" manifest create --payload "$payload" --version 2 -o "$tmp/x.der" --vendor-id nope
check "vendor-id and domain" 2 "$fwemu" manifest create --payload "$payload" --version 2 -o "$tmp/x.der" \
  --vendor-id 00112233-4455-6677-8899-aabbccddeeff --vendor-domain example.com
check "missing payload" 2 "$fwemu" manifest create --payload "$tmp/none.bin" --version 2 -o "$tmp/x.der"
contains "missing payload names the file" err "none.bin"
check "not a patch" 2 "$fwemu" manifest create --payload "$payload" --precursor "$payload" --version 2 -o "$tmp/x.der"
contains "not a patch message" err "payload:"
[ ! -e "$tmp/x.der" ] && passes=$((passes+1)) || { fails=$((fails+1)); echo "FAIL: x.der written by a failed create"; }
check "show missing file" 2 "$fwemu" manifest show "$tmp/none.der"

# bad input: the message names the file and the field
head -c 100 "$tmp/m.der" >"$tmp/short.der"
check "show truncated" 2 "$fwemu" manifest show "$tmp/short.der"
contains "truncated message" err "short.der: SignedResource: length"
{ cat "$tmp/m.der"; printf '\0'; } >"$tmp/trail.der"
check "show trailing byte" 2 "$fwemu" manifest show "$tmp/trail.der"
contains "trailing message" err "trail.der: SignedResource: 1 trailing bytes"
# a 31-byte payload-digest, hand-encoded
vid=041006a51bd6a81f54369f79688945d28390
cid=0410f7f2c1ccc2935fd3b7f71f37817b3549
man="$vid$cid 020100 0c044d41494e 0c0132 041f$(printf '11%.0s' $(seq 31)) 020100 0c077061796c6f6164 0a0101 0400"
man=$(printf '%s' "$man" | tr -d ' ')
sig=0440$(printf '22%.0s' $(seq 64))
mlen=$(printf '%02x' $(( ${#man} / 2 )))
body="0a0103 30$mlen$man $sig"
body=$(printf '%s' "$body" | tr -d ' ')
hex2bin "3081$(printf '%02x' $(( ${#body} / 2 )))$body" >"$tmp/d31.der"
check "show 31-byte digest" 2 "$fwemu" manifest show "$tmp/d31.der"
contains "digest message" err "d31.der: manifest.payload-digest: 31 bytes, expected 32"
# one flipped byte inside the payload-digest: decodes, does not verify
cp "$tmp/m.der" "$tmp/flip.der"
b=$(od -An -tu1 -j60 -N1 "$tmp/m.der" | tr -d ' ')
printf "\\x$(printf '%02x' $(( b ^ 1 )))" | dd of="$tmp/flip.der" bs=1 seek=60 conv=notrunc status=none
cmp -s "$tmp/m.der" "$tmp/flip.der" && { fails=$((fails+1)); echo "FAIL: the flip changed nothing"; }
check "show flipped" 1 "$fwemu" manifest show "$tmp/flip.der"
contains "flipped invalid" out "signature: INVALID"

# delta manifests
check "delta create" 0 "$fwemu" delta create "$fw/app_v1.bin" "$fw/app_v2.bin" -o "$tmp/p.patch" --max-ratio 1
check "create delta" 0 "$fwemu" manifest create --payload "$tmp/p.patch" --precursor "$fw/app_v1.bin" --version 2 -o "$tmp/d.der"
contains "delta summary" out "arm-patch-stream"
check "show delta" 0 "$fwemu" manifest show "$tmp/d.der"
contains "delta format" out "payload-format:      arm-patch-stream (5)"
contains "delta installed size" out "  installed-size:    $(stat -c %s "$fw/app_v2.bin")"
contains "delta precursor" out "  precursor-digest:  $(sha256sum "$fw/app_v1.bin" | cut -c1-64)"
contains "delta installed digest" out "  installed-digest:  $(sha256sum "$fw/app_v2.bin" | cut -c1-64)"
contains "delta valid" out "signature: valid"

echo "manifest_cli: $passes passed, $fails failed"
[ "$fails" = 0 ]
