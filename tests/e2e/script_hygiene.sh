#!/usr/bin/env bash
# The end-to-end scripts themselves (every other tests/e2e/*.sh) fail when what they check cannot
# run, and write only into temporary directories.
#
# Each script runs from a scratch copy of what the scripts read (README.md, scenarios/,
# tests/e2e/), with a private TMPDIR, against a stand-in for fwemu that, at every call, records
#   - a file created or changed in the copy (a script writing into the checkout);
#   - an output file (-o/--output; run's --json/--junit/--html; keys create's --public) or a
#     redirected stdout/stderr outside TMPDIR (a script writing to /tmp or elsewhere itself),
# and then fails (exit 3, as an internal error) or runs FWEMU. Every script must
#   a. fail (exit status neither 0 nor 77, the skip) when every fwemu call fails;
#   b. fail likewise when FIRMWARE_DIR is empty as well (a missing build is a failure, not a skip);
#   c. fail when only one verb fails, for each verb it calls if it calls more than one
#      (manifest_cli.sh once passed with `delta create` failing: it skipped its delta checks);
# and leave no trace: no record above, nothing left in its TMPDIR, the copy unchanged.
# c runs fwemu for real, so only in the normal build (a sanitizer build runs a and b).
#   tests/e2e/script_hygiene.sh FWEMU FIRMWARE_DIR
set -u
fwemu=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
fw=$(cd "$2" 2>/dev/null && pwd) || { echo "FAIL: no firmware directory $2"; exit 1; }
self=$(basename "${BASH_SOURCE[0]}")
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
fails=0; passes=0
fail() { fails=$((fails+1)); echo "FAIL $*"; }

mkdir -p "$t/bin" "$t/nofw"
# a fresh copy for every run, dated a minute back, and the stamp anything written later is newer than
fresh_copy() {
  rm -rf "$t/repo"; mkdir -p "$t/repo/tests"
  cp -r "$repo/README.md" "$repo/scenarios" "$t/repo/"
  cp -r "$repo/tests/e2e" "$t/repo/tests/"
  find "$t/repo" -exec touch -h -d '-1 min' {} +
  touch "$t/stamp"
}

cat >"$t/bin/fwemu" <<EOF
#!/usr/bin/env bash
# fwemu stand-in for script_hygiene.sh; FAIL_VERB: "*" fails every call, a verb that verb only
t='$t' real='$fwemu'
EOF
cat >>"$t/bin/fwemu" <<'EOF'
verb=${1:-}
echo "$verb" >>"$t/verbs"
note() { echo "$*" >>"$t/violations"; }
changed=$(cd "$t/repo" && find . -newer "$t/stamp" | head -5)
[ -z "$changed" ] || note "wrote into the checkout: $(echo $changed)"
for fd in 1 2; do
  p=$(readlink "/proc/$$/fd/$fd")
  case "$p" in /dev/null|pipe:*|socket:*|/dev/pts/*|/dev/tty*|"$TMPDIR"/*) ;;
    *) note "fwemu $verb: fd $fd redirected to $p, outside TMPDIR";; esac
done
prev=
for a in "$@"; do
  out=
  case "$prev" in -o|--output) out=$a;; esac
  case "$verb:$prev" in run:--json|run:--junit|run:--html|keys:--public) out=$a;; esac
  case "$a" in --output=*|--json=*|--junit=*|--html=*|--public=*) [ "$verb" = boot ] || out=${a#*=};; esac
  if [ -n "$out" ]; then
    case "$(realpath -m -- "$out")" in "$(realpath -m -- "$TMPDIR")"/*) ;;
      *) note "fwemu $verb: writes $out, outside TMPDIR";; esac
  fi
  prev=$a
done
if [ "${FAIL_VERB:-}" = "*" ] || [ "${FAIL_VERB:-}" = "$verb" ]; then
  echo "fwemu: internal error (stand-in: '$verb' made to fail)" >&2
  exit 3
fi
exec "$real" "$@"
EOF
chmod +x "$t/bin/fwemu"

# run_one SCRIPT MODE FAIL_VERB FWDIR: run the copy of SCRIPT, check it failed and left no trace
run_one() {
  local s=$1 mode=$2 verb=$3 fwdir=$4 rc
  fresh_copy
  rm -rf "$t/tmpdir" "$t/violations" "$t/verbs"; mkdir "$t/tmpdir"; : >"$t/verbs"
  # through a pipe, so that the script's own stdout is not a file outside its TMPDIR
  ( cd "$t/repo" && TMPDIR=$t/tmpdir FAIL_VERB=$verb \
      bash "$t/repo/tests/e2e/$s" "$t/bin/fwemu" "$fwdir" 2>&1 ) | cat >"$t/out"
  rc=${PIPESTATUS[0]}
  local what="$s ($mode)" ok=1
  if [ "$rc" = 0 ] || [ "$rc" = 77 ]; then
    fail "$what: exit $rc, but it could not check what it checks"; tail -3 "$t/out" | sed 's/^/  /'; ok=0
  fi
  if [ -s "$t/violations" ]; then fail "$what: $(sort -u "$t/violations" | head -3 | paste -sd ';')"; ok=0; fi
  changed=$(cd "$t/repo" && find . -newer "$t/stamp" | head -5)
  if [ -n "$changed" ]; then fail "$what: left in the checkout: $(echo $changed)"; ok=0; fi
  if [ -n "$(ls -A "$t/tmpdir")" ]; then fail "$what: left in TMPDIR: $(ls -A "$t/tmpdir" | head -3)"; ok=0; fi
  [ $ok = 1 ] && passes=$((passes+1))
  return 0
}

sanitized=0
ldd "$fwemu" 2>/dev/null | grep -q 'libasan' && sanitized=1
scripts=()
for f in "$repo"/tests/e2e/*.sh; do
  [ "$(basename "$f")" = "$self" ] || scripts+=("$(basename "$f")")
done
[ ${#scripts[@]} -gt 0 ] || fail "no tests/e2e/*.sh to check"
for s in "${scripts[@]}"; do
  run_one "$s" "every fwemu call fails" "*" "$fw"
  verbs=$(grep -xE 'boot|image|inspect|run|manifest|keys|delta' "$t/verbs" | sort -u)
  run_one "$s" "every fwemu call fails, no firmware" "*" "$t/nofw"
  [ $sanitized = 0 ] && [ "$(echo "$verbs" | grep -c .)" -gt 1 ] || continue
  for v in $verbs; do
    run_one "$s" "fwemu $v fails" "$v" "$fw"
  done
done
[ $sanitized = 1 ] && echo "note: sanitizer build, one-verb failures (c) not run"
echo "script_hygiene: $passes passed, $fails failed"
[ "$fails" = 0 ]
