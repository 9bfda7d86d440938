#!/usr/bin/env bash
# The update flow, full against delta, measured side by side in one run:
#   - payload sizes: the full image against the delta (fwemu delta create) for v1 -> v2 (only the
#     version differs) and v2 -> v3 (one function changed, firmware/README.md);
#   - the device RAM the delta patcher and the client's buffers take (symbol sizes in the app ELF);
#   - the time of a full and of a delta update, from the notification to the new version running
#     and reporting itself (between the device's "running 1" and "running 2" messages to the
#     server): emulated seconds, and the wall time of the whole scenario (median of N runs) next to
#     a baseline scenario that boots v1 and idles for as long without updating.
#   bench/update_flow.sh [BUILD_DIR] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$here/build}
runs=${2:-3}
fwemu=$build/fwemu
fw=$build/firmware
[ -x "$fwemu" ] || { echo "build first: scripts/build.sh" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }

echo "== payload sizes"
for pair in "app_v1 app_v2" "app_v2 app_v3"; do
  set -- $pair
  "$fwemu" delta create "$fw/$1.bin" "$fw/$2.bin" -o "$tmp/p.bin" >/dev/null
  full=$(stat -c %s "$fw/$2.bin"); delta=$(stat -c %s "$tmp/p.bin")
  printf '%s -> %s: full %6d bytes, delta %5d bytes (%s %% of full)\n' "$1" "$2" "$full" "$delta" \
    "$(calc "100 * $delta / $full")"
done

echo "== device RAM (app_v2.elf, .bss symbols)"
nm=$(command -v arm-none-eabi-nm || true)
if [ -n "$nm" ]; then
  total=0
  while read -r _ size _ name; do
    case "$name" in patcher|writer|manifest_buf|net_buf)
      printf '  %-13s %5d bytes\n' "$name" "$((16#$size))"; total=$((total + 16#$size));; esac
  done < <("$nm" -S "$fw/app_v2.elf")
  printf '  %-13s %5d bytes (the patcher context holds its two frame buffers and its state)\n' total "$total"
fi

echo "== update time (notification -> new version running)"
cat >"$tmp/baseline.yaml" <<'EOF'
name: baseline
setup:
  active: {image: app_v1, version: 1}
steps:
  - boot: {until: app_running, version: 1}
  - run: {until: {time: 1500ms}}
EOF
median() { sort -n | awk '{a[NR] = $1} END { print a[int((NR + 1) / 2)] }'; }
wall_of() {
  for _ in $(seq "$runs"); do
    a=$(now); "$fwemu" run "$1" >/dev/null 2>&1 || true; b=$(now); calc "$b - $a"; echo
  done | median
}
base=$(wall_of "$tmp/baseline.yaml")
printf '%-8s %14s %12s %14s\n' kind "emulated (s)" "wall (s)" "wall - base (s)"
printf '%-8s %14s %12s %14s\n' baseline "1.500 idle" "$base" "-"
for kind in full delta; do
  f=$here/scenarios/update-$kind.yaml
  "$fwemu" run -v "$f" >"$tmp/$kind.out" 2>&1 || true
  t1=$(awk '/results posted:/ {on = 1; next} on && / s running 1$/ {print $1; exit}' "$tmp/$kind.out")
  t2=$(awk '/results posted:/ {on = 1; next} on && / s running 2$/ {print $1; exit}' "$tmp/$kind.out")
  w=$(wall_of "$f")
  printf '%-8s %14s %12s %14s\n' "$kind" "$(calc "$t2 - $t1")" "$w" "$(calc "$w - $base")"
done
