#!/usr/bin/env bash
# tests/lsan.supp names Unicorn's own leaking functions only, so LeakSanitizer still reports a leak
# made by our code inside a Unicorn hook callback (every one of our hooks runs with libunicorn.so
# frames below it: a suppression by module would hide them all). In the sanitizer build, with
# lsan_hook_leak (hook_leak.c):
#   1. no suppressions, hook not leaking: LSan reports Unicorn's own leak (the probe still
#      provokes it; if not, its suppression is stale and must go);
#   2. tests/lsan.supp, hook not leaking: no report (the library's leaks are all suppressed);
#   3. tests/lsan.supp, hook leaking: a report, and every leak in it allocated by the hook.
# Skipped (77) in a build without FWEMU_SANITIZE.
#   tests/e2e/lsan/hook_leak.sh PROGRAM SUPPRESSIONS SANITIZE(0|1)
set -u
prog=$1 supp=$2 sanitize=$3
[ "$sanitize" = 1 ] || { echo "not a sanitizer build: skipped"; exit 77; }
[ -x "$prog" ] && [ -f "$supp" ] || { echo "FAIL: $prog or $supp missing"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
: >"$tmp/none.supp"
fails=0
run() {  # run OUT SUPPRESSIONS ARGS...: the program under LSan, its exit status in $rc
  local out=$1 s=$2; shift 2
  ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$s "$prog" "$@" >"$tmp/$out" 2>&1
  rc=$?
}
# leak reports: one line per leak, "<who>", who = hook or the first frame after the allocator
leaks() {
  awk '/^(Direct|Indirect) leak of/ {inl = 1; who = ""; next}
       inl && /^ *#[0-9]+ / { if ($0 ~ /fwemu_test_leaky_hook/) who = "hook";
                              else if (who == "" && $0 !~ /(malloc|calloc|realloc)/) who = $4; next }
       inl && !/^ *#/ { print (who == "" ? "?" : who); inl = 0 }
       END { if (inl) print (who == "" ? "?" : who) }' "$tmp/$1"
}

run control "$tmp/none.supp" --no-leak
if [ $rc = 0 ] || ! grep -q 'LeakSanitizer: detected memory leaks' "$tmp/control"; then
  echo "FAIL 1: without suppressions LSan reported no leak of Unicorn's (exit $rc): LeakSanitizer off, or the"
  echo "  library's leak is gone and tests/lsan.supp should drop its entry"; sed 's/^/  /' "$tmp/control" | head -20; fails=$((fails+1))
elif leaks control | grep -q hook; then
  echo "FAIL 1: --no-leak still leaks from the hook"; fails=$((fails+1))
else
  echo "1: without suppressions, Unicorn's own leak is reported (in $(leaks control | sort -u | tr '\n' ' '))"
fi

run clean "$supp" --no-leak
if [ $rc = 0 ] && ! grep -q 'LeakSanitizer: detected memory leaks' "$tmp/clean"; then
  echo "2: under tests/lsan.supp, Unicorn's own leaks are suppressed"
else
  echo "FAIL 2: under tests/lsan.supp a leak is reported without one of ours (exit $rc):"
  sed 's/^/  /' "$tmp/clean" | head -20; fails=$((fails+1))
fi

run leak "$supp"
n=$(leaks leak | grep -c '^hook$'); other=$(leaks leak | grep -vc '^hook$')
if [ $rc != 0 ] && [ "$n" -gt 0 ] && [ "$other" = 0 ]; then
  echo "3: under tests/lsan.supp, the hook's leak is reported"
else
  echo "FAIL 3: under tests/lsan.supp the leak in our hook is not reported alone (exit $rc, $n hook leaks, $other others):"
  sed 's/^/  /' "$tmp/leak" | head -20; fails=$((fails+1))
fi
echo "lsan hook_leak: $((3 - fails)) passed, $fails failed"
[ $fails = 0 ]
