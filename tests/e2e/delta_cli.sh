#!/usr/bin/env bash
# End-to-end checks of `fwemu delta`: create -> show -> apply round trips on the bundled apps,
# every --mutate kind failing apply with its device reason, bad input and exit codes.
#   tests/e2e/delta_cli.sh FWEMU FIRMWARE_DIR
set -u
fwemu=$1
fw=$2
. "$(dirname "${BASH_SOURCE[0]}")/lib/checks.sh"

for f in app_v1.bin app_v2.bin app64_v1.bin app64_v2.bin app_v1.elf; do
  [ -f "$fw/$f" ] || { echo "FAIL: $fw/$f missing (the firmware build makes it)"; exit 1; }
done

# help and usage
check "delta --help" 0 "$fwemu" delta --help
contains "help text" out "usage: fwemu delta create OLD NEW -o PATCH"
contains "help says raw" out "an ELF is not handled here"
check "create --help" 0 "$fwemu" delta create --help
check "no sub-command" 2 "$fwemu" delta
check "bad sub-command" 2 "$fwemu" delta frobnicate
contains "bad sub-command message" err "unknown sub-command 'frobnicate'"
check "bad option" 2 "$fwemu" delta create --no-such-option
check "create no -o" 2 "$fwemu" delta create "$fw/app_v1.bin" "$fw/app_v2.bin"
contains "missing -o message" err "missing -o/--output"
check "create one arg" 2 "$fwemu" delta create "$fw/app_v1.bin" -o "$tmp/x.pat"
check "apply three args" 2 "$fwemu" delta apply a b c -o "$tmp/x"
check "bad block size" 2 "$fwemu" delta create "$fw/app_v1.bin" "$fw/app_v2.bin" -o "$tmp/x.pat" --block-size 64
contains "bad block message" err "--block-size: '64'"
check "bad ratio" 2 "$fwemu" delta create "$fw/app_v1.bin" "$fw/app_v2.bin" -o "$tmp/x.pat" --max-ratio abc
check "bad mutate" 2 "$fwemu" delta create "$fw/app_v1.bin" "$fw/app_v2.bin" -o "$tmp/x.pat" --mutate bogus
check "missing file" 2 "$fwemu" delta create "$tmp/nope.bin" "$fw/app_v2.bin" -o "$tmp/x.pat"
contains "missing file message" err "$tmp/nope.bin: cannot open"
check "elf refused" 2 "$fwemu" delta create "$fw/app_v1.elf" "$fw/app_v2.bin" -o "$tmp/x.pat"
contains "elf message" err "is an ELF file"
[ ! -e "$tmp/x.pat" ] && passes=$((passes+1)) || { fails=$((fails+1)); echo "FAIL: a failed create wrote x.pat"; }

# app_v1 -> app_v2: create, show, apply
check "create v1->v2" 0 "$fwemu" delta create "$fw/app_v1.bin" "$fw/app_v2.bin" -o "$tmp/v12.pat"
contains "create line" out "$tmp/v12.pat: "
contains "create line stats" out "of $fw/app_v2.bin's $(stat -c %s "$fw/app_v2.bin") bytes), block 512,"
size=$(stat -c %s "$tmp/v12.pat")
newsize=$(stat -c %s "$fw/app_v2.bin")
if [ "$((size * 5))" -lt "$newsize" ]; then passes=$((passes+1)); else
  fails=$((fails+1)); echo "FAIL: v1->v2 patch of $size bytes is not small (new $newsize)"; fi
head -c 16 "$tmp/v12.pat" >"$tmp/magic"
contains "magic" magic "PELION/BSDIFF001"
check "show" 0 "$fwemu" delta show "$tmp/v12.pat"
contains "show new size" out "new size:        $newsize bytes"
contains "show block" out "block size:      512"
check "show json" 0 "$fwemu" delta show --json "$tmp/v12.pat"
contains "show json size" out "\"new_size\": $newsize"
check "apply v1->v2" 0 "$fwemu" delta apply "$fw/app_v1.bin" "$tmp/v12.pat" -o "$tmp/v2.bin"
same "apply result" "$tmp/v2.bin" "$fw/app_v2.bin"
check "create json" 0 "$fwemu" delta create --json "$fw/app_v1.bin" "$fw/app_v2.bin" -o "$tmp/v12j.pat"
contains "create json" out "\"patch_size\": $size"
same "deterministic" "$tmp/v12.pat" "$tmp/v12j.pat"

# identical, other block sizes, reverse
check "create identical" 0 "$fwemu" delta create "$fw/app_v1.bin" "$fw/app_v1.bin" -o "$tmp/v11.pat"
check "apply identical" 0 "$fwemu" delta apply "$fw/app_v1.bin" "$tmp/v11.pat" -o "$tmp/v1.bin"
same "identical result" "$tmp/v1.bin" "$fw/app_v1.bin"
for bs in 128 1024 4096; do
  check "create block $bs" 0 "$fwemu" delta create "$fw/app_v2.bin" "$fw/app_v1.bin" -o "$tmp/b$bs.pat" --block-size "$bs"
  contains "block $bs line" out "block $bs,"
  check "apply block $bs" 0 "$fwemu" delta apply "$fw/app_v2.bin" "$tmp/b$bs.pat" -o "$tmp/b$bs.bin"
  same "block $bs result" "$tmp/b$bs.bin" "$fw/app_v1.bin"
done
check "show block 4096" 0 "$fwemu" delta show "$tmp/b4096.pat"
contains "show device warning" out "above the device's 1024"

# the default limit (60 %): an incompressible NEW (gzip output, deterministic) is refused
gzip -c -n -9 "$fw/app64_v2.bin" | head -c 16384 > "$tmp/noise.bin"
check "create noise refused" 1 "$fwemu" delta create "$fw/app_v1.bin" "$tmp/noise.bin" -o "$tmp/noise.pat"
contains "default refusal message" err "limit: under 60.0%"
[ ! -e "$tmp/noise.pat" ] && passes=$((passes+1)) || { fails=$((fails+1)); echo "FAIL: a refused create wrote noise.pat"; }

# app64: the 29 KiB tables differ entirely (the patch is ~48 % of the image), so a 40 % limit
# refuses; --max-ratio 1 does not
check "create app64 refused" 1 "$fwemu" delta create "$fw/app64_v1.bin" "$fw/app64_v2.bin" -o "$tmp/a64.pat" --max-ratio 0.4
contains "refusal message" err "limit: under 40.0%"
[ ! -e "$tmp/a64.pat" ] && passes=$((passes+1)) || { fails=$((fails+1)); echo "FAIL: a refused create wrote a64.pat"; }
check "create app64 no limit" 0 "$fwemu" delta create "$fw/app64_v1.bin" "$fw/app64_v2.bin" -o "$tmp/a64.pat" --max-ratio 1
check "apply app64" 0 "$fwemu" delta apply "$fw/app64_v1.bin" "$tmp/a64.pat" -o "$tmp/a64.bin"
same "app64 result" "$tmp/a64.bin" "$fw/app64_v2.bin"

# every mutation: create warns, apply fails with exit 1 and the device's reason
for kind in magic header varint sizes seek frame lz4 truncated; do
  check "mutate $kind" 0 "$fwemu" delta create "$fw/app_v1.bin" "$fw/app_v2.bin" -o "$tmp/m_$kind.pat" --mutate "$kind"
  contains "mutate $kind warning" err "warning: $tmp/m_$kind.pat is deliberately malformed ($kind)"
  check "apply $kind" 1 "$fwemu" delta apply "$fw/app_v1.bin" "$tmp/m_$kind.pat" -o "$tmp/m.bin"
  contains "apply $kind reason" err "fwemu delta apply: $tmp/m_$kind.pat: delta-$kind: patch offset "
  [ ! -e "$tmp/m.bin" ] && passes=$((passes+1)) || { fails=$((fails+1)); echo "FAIL: apply $kind wrote output"; rm -f "$tmp/m.bin"; }
  "$fwemu" delta create "$fw/app_v1.bin" "$fw/app_v2.bin" -o "$tmp/m2_$kind.pat" --mutate "$kind" 2>/dev/null >/dev/null
  same "mutate $kind deterministic" "$tmp/m_$kind.pat" "$tmp/m2_$kind.pat"
done
check "show malformed" 1 "$fwemu" delta show "$tmp/m_lz4.pat"
contains "show malformed reason" err "delta-lz4: patch offset"

# apply against the wrong old image: the app64 old is longer, diff runs stay inside; the result differs
check "apply to wrong old" 0 "$fwemu" delta apply "$fw/app64_v1.bin" "$tmp/v12.pat" -o "$tmp/w.bin"
if cmp -s "$tmp/w.bin" "$fw/app_v2.bin"; then fails=$((fails+1)); echo "FAIL: wrong old gave the right image"; else passes=$((passes+1)); fi
# garbage and truncated patches
head -c 30 "$tmp/v12.pat" >"$tmp/short.pat"
check "apply short header" 1 "$fwemu" delta apply "$fw/app_v1.bin" "$tmp/short.pat" -o "$tmp/x.bin"
contains "short header reason" err "delta-header"
printf 'not a patch at all, really' >"$tmp/junk.pat"
check "show junk" 1 "$fwemu" delta show "$tmp/junk.pat"
contains "junk reason" err "delta-magic: patch offset 0"

echo "delta_cli: $passes passed, $fails failed"
[ "$fails" = 0 ]
