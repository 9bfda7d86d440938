#!/usr/bin/env bash
# Instructions per second of `fwemu boot` on the bundled image (bootloader verifying and
# installing v2, then the app), next to a CPU-bound ELF (SHA-256 over 64 KiB x16) run by fwemu
# and by qemu-system-arm -M mps2-an386, measured side by side in one run.
#   bench/boot_ips.sh [BUILD_DIR] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$here/build}
runs=${2:-5}
fwemu=$build/fwemu
elf=$build/bench/cpu_bench.elf
[ -x "$fwemu" ] && [ -f "$elf" ] || { echo "build first: scripts/build.sh" >&2; exit 2; }
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
json_num() { sed -n "s/.*\"$1\": \\([0-9]*\\).*/\\1/p" | head -n1; }

boot_insns=$("$fwemu" boot --json --after-app 0 | json_num instructions)
elf_insns=$("$fwemu" boot --json --elf "$elf" | json_num instructions)

t_boot=(); t_elf=(); t_qemu=()
for _ in $(seq "$runs"); do
  a=$(now); "$fwemu" boot -q --after-app 0 >/dev/null; b=$(now); t_boot+=("$(calc "$b - $a")")
  a=$(now); "$fwemu" boot -q --elf "$elf" >/dev/null; b=$(now); t_elf+=("$(calc "$b - $a")")
  if command -v qemu-system-arm >/dev/null; then
    a=$(now); qemu-system-arm -M mps2-an386 -nographic -semihosting-config enable=on,target=native \
      -kernel "$elf" >/dev/null; b=$(now); t_qemu+=("$(calc "$b - $a")")
  fi
done
mb=$(printf '%s\n' "${t_boot[@]}" | median); me=$(printf '%s\n' "${t_elf[@]}" | median)
printf 'median of %s runs, whole process wall time (start-up included)\n' "$runs"
printf '%-44s %12s insns %8.3f s %8.1f MIPS\n' "fwemu boot (bundled: verify + install v2)" "$boot_insns" "$mb" \
  "$(calc "$boot_insns / $mb / 1000000")"
printf '%-44s %12s insns %8.3f s %8.1f MIPS\n' "fwemu boot --elf cpu_bench.elf" "$elf_insns" "$me" \
  "$(calc "$elf_insns / $me / 1000000")"
if [ ${#t_qemu[@]} -gt 0 ]; then
  mq=$(printf '%s\n' "${t_qemu[@]}" | median)
  printf '%-44s %12s insns %8.3f s %8.1f MIPS\n' "qemu-system-arm -M mps2-an386 cpu_bench.elf" "$elf_insns" "$mq" \
    "$(calc "$elf_insns / $mq / 1000000")"
  printf 'ratio qemu/fwemu on the same ELF: %.2f\n' "$(calc "$me / $mq")"
else
  echo "qemu-system-arm not installed (apt-get install qemu-system-arm) - no comparison"
fi
