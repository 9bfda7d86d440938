#!/usr/bin/env bash
# The shape of the house (docs/architecture.md), checked: every room includes only what it may
# (arrows run one way: cli -> sweep -> scenario -> emu / codec / server; reports/ and util/ include
# nothing of harness/), no source file of the host side is over 1,000 lines and no function over
# 150. Reads the source tree only.
#   tests/e2e/architecture.sh [FWEMU FIRMWARE_DIR]   (the arguments ctest passes are not used)
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
fails=0 checks=0
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# room -> the include prefixes (or bare emu/util/reports headers) it may use besides its own
declare -A may=(
  [util]=""
  [reports]="util"
  [harness/codec]="util firmware"
  [harness/server]="emu"
  [harness/scenario]="util firmware emu codec server"
  [harness/sweep]="util firmware emu codec server scenario"
  [harness/cli]="util firmware emu codec server scenario sweep reports"
)
# which room a quoted include belongs to
room_of() {
  case "$1" in
    cli/*) echo cli ;; codec/*) echo codec ;; scenario/*) echo scenario ;; sweep/*) echo sweep ;;
    server/*) echo server ;;
    fileio.h|elf.h) echo util ;;
    report.h) echo reports ;;
    mbed_header.h) echo firmware ;;
    emu.h|emu_types.h|flash.h|periph.h|cortexm.h) echo emu ;;
    *) echo "unknown:$1" ;;
  esac
}
for dir in "${!may[@]}"; do
  self=${dir#harness/}
  [ -d "$here/$dir" ] || { bad "$dir: the room is missing"; continue; }
  for f in "$here/$dir"/*.[ch]; do
    [ -e "$f" ] || continue
    while read -r inc; do
      r=$(room_of "$inc")
      checks=$((checks + 1))
      [ "$r" = "$self" ] && continue
      case " ${may[$dir]} " in *" $r "*) ;; *) bad "${f#$here/} includes \"$inc\" ($r): $dir may include only its own headers${may[$dir]:+ and: ${may[$dir]}}" ;; esac
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
  done
done

# sizes: files and functions (a function: from a '{' alone at column 0 to the next '}' at column 0)
while read -r f; do
  n=$(wc -l <"$f")
  checks=$((checks + 1))
  [ "$n" -le 1000 ] || bad "${f#$here/}: $n lines (at most 1,000: split it by what it does)"
  awk -v file="${f#$here/}" '
    /^\{/ { start = NR; name = prev }
    /^\}/ && start { len = NR - start + 1; if (len > 150) printf "FAIL: %s:%d: %s is %d lines (at most 150)\n", file, start, name, len; start = 0 }
    { if ($0 !~ /^[{}]/ && $0 ~ /^[A-Za-z]/) prev = $0 }' "$f" >"${TMPDIR:-/tmp}/arch.$$"
  if [ -s "${TMPDIR:-/tmp}/arch.$$" ]; then cat "${TMPDIR:-/tmp}/arch.$$"; fails=$((fails + $(wc -l <"${TMPDIR:-/tmp}/arch.$$"))); fi
  rm -f "${TMPDIR:-/tmp}/arch.$$"
done < <(find "$here/emu" "$here/harness" "$here/reports" "$here/util" -name '*.[ch]' | sort)

[ "$checks" -gt 100 ] || bad "only $checks checks ran: is the tree there?"
echo "architecture: $((checks - fails)) passed, $fails failed"
[ "$fails" = 0 ]
