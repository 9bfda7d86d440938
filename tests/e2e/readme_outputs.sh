#!/usr/bin/env bash
# Every example output in README.md is what the program prints, and the suite figures README.md
# quotes are the bundled suite's.
#
# An example is a fenced block whose first line is `$ build/fwemu ARGS...` (plain words: no
# quotes, pipes, redirections or variables); the rest of the block is the output. The command
# runs from the repository root with build/fwemu replaced by FWEMU, and its stdout and stderr
# (together) must match the block line by line after this normalisation, applied to both sides:
#   - wall-clock figures, which change from run to run: "<x> s wall (<y> MIPS)" becomes
#     "<wall> s wall (<wall> MIPS)", and the "[<x> s]" that ends a PASS / FAIL line "[<wall> s]";
#   - a block line that is only "..." (indentation allowed) stands for one or more output lines
#     the README leaves out: it matches up to the first later line equal to the block's next line
#     (or the rest of the output, when it is the block's last line).
# Everything else (emulated times, instruction counts, digests, cut point ids) must be exact.
# Suite figures: "bundled suite (<n> scenarios, <m> sweeps)" and "<u> of the <n> run an update"
# must count what `fwemu run --list` lists: scenarios, those with a `sweep:` section, those with a
# `publish` step.
#   tests/e2e/readme_outputs.sh FWEMU FIRMWARE_DIR
set -u
fwemu=$1
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readme=$repo/README.md
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0; passes=0
fail() { fails=$((fails+1)); echo "FAIL $*"; }

# ---- the examples: ex<k>.line (README line of the command), ex<k>.cmd, ex<k>.want
awk -v dir="$tmp" '
  /^```/ { if (inb) { inb = 0; next } inb = 1; first = 1; next }
  inb && first { first = 0; if (substr($0, 1, 2) == "$ ") { k++; ex = 1
                   print NR > (dir "/ex" k ".line"); print substr($0, 3) > (dir "/ex" k ".cmd")
                   printf "" > (dir "/ex" k ".want") } else ex = 0; next }
  inb && ex { print > (dir "/ex" k ".want") }
  END { print k + 0 > (dir "/count") }' "$readme"
count=$(cat "$tmp/count")
[ "$count" -gt 0 ] || fail "README.md: no example blocks (\`\$ build/fwemu ...\` as a fenced block's first line)"

norm() {
  sed -E -e 's/[0-9]+(\.[0-9]+)? s wall \([0-9]+(\.[0-9]+)? MIPS\)/<wall> s wall (<wall> MIPS)/g' \
         -e 's/^((PASS|FAIL) .*) \[[0-9]+(\.[0-9]+)? s\]$/\1 [<wall> s]/' "$1"
}
# match WANT GOT: both normalised; prints the first difference and returns 1
match() {
  awk '
    FNR == NR { w[++nw] = $0; next }
    { g[++ng] = $0 }
    function ell(s) { return s ~ /^[ \t]*\.\.\.$/ }
    function show(s) { return length(s) > 160 ? substr(s, 1, 157) "..." : s }
    END {
      i = 1; j = 1
      while (i <= nw) {
        if (ell(w[i])) {
          if (j > ng) { printf "  README line %d (...) stands for lines the output does not have\n", i; exit 1 }
          j++; i++
          if (i > nw) { j = ng + 1; break }
          while (j <= ng && g[j] != w[i]) j++
          if (j > ng) { printf "  README line %d not in the output after line %d:\n    %s\n", i, j - 1, show(w[i]); exit 1 }
        } else if (j > ng) {
          printf "  README line %d, the output has ended:\n    %s\n", i, show(w[i]); exit 1
        } else if (g[j] != w[i]) {
          printf "  README line %d:\n    %s\n  output line %d:\n    %s\n", i, show(w[i]), j, show(g[j]); exit 1
        }
        i++; j++
      }
      if (j <= ng) { printf "  the output goes on after the README block ends (output line %d):\n    %s\n", j, show(g[j]); exit 1 }
    }' "$1" "$2"
}

for k in $(seq 1 "$count"); do
  line=$(cat "$tmp/ex$k.line"); cmd=$(cat "$tmp/ex$k.cmd")
  where="README.md:$line: \$ $cmd"
  case "$cmd" in
    *[\'\"\|\;\&\<\>\$\`\\]*) fail "$where: only plain words can be run"; continue;;
  esac
  [ -s "$tmp/ex$k.want" ] || { fail "$where: the block shows no output"; continue; }
  read -ra argv <<<"$cmd"
  if [ "${argv[0]}" != build/fwemu ]; then fail "$where: not a build/fwemu command"; continue; fi
  (cd "$repo" && "$fwemu" "${argv[@]:1}") >"$tmp/got" 2>&1
  norm "$tmp/ex$k.want" >"$tmp/want.n"
  norm "$tmp/got" >"$tmp/got.n"
  if match "$tmp/want.n" "$tmp/got.n" >"$tmp/why"; then passes=$((passes+1)); else
    fail "$where: the output differs from the README"; cat "$tmp/why"; fi
done

# ---- suite figures
(cd "$repo" && "$fwemu" run --list) >"$tmp/list" 2>&1 || fail "fwemu run --list: exit $?"
n=0; sweeps=0; updates=0
while read -r _ path _; do
  n=$((n+1))
  grep -q '^sweep:' "$path" && sweeps=$((sweeps+1))
  grep -qE '^[[:space:]]*-[[:space:]]*publish:' "$path" && updates=$((updates+1))
done <"$tmp/list"
[ "$n" -gt 0 ] || fail "fwemu run --list lists no scenarios"
claim=$(grep -o 'bundled suite ([0-9]* scenarios, [0-9]* sweeps)' "$readme")
if [ -z "$claim" ]; then fail "README.md: no \"bundled suite (N scenarios, M sweeps)\""
elif [ "$claim" = "bundled suite ($n scenarios, $sweeps sweeps)" ]; then passes=$((passes+1))
else fail "README.md says \"$claim\"; the suite has $n scenarios, $sweeps sweeps"; fi
claim=$(grep -o '[0-9]* of the [0-9]* run an update' "$readme")
if [ -z "$claim" ]; then fail "README.md: no \"U of the N run an update\""
elif [ "$claim" = "$updates of the $n run an update" ]; then passes=$((passes+1))
else fail "README.md says \"$claim\"; $updates of the $n scenarios publish an update"; fi

echo "readme_outputs: $passes passed, $fails failed"
[ "$fails" = 0 ]
