#!/usr/bin/env bash
# Set up, build, and pass all tests: a normal build and an AddressSanitizer +
# UndefinedBehaviorSanitizer build, each running the whole ctest suite.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$here/scripts/setup.sh"
"$here/scripts/build.sh" "$here/build"
(cd "$here/build" && ctest --output-on-failure -j"$(nproc)")
"$here/scripts/build.sh" "$here/build-asan" -DFWEMU_SANITIZE=ON
(cd "$here/build-asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
   LSAN_OPTIONS=suppressions="$here/tests/lsan.supp" ctest --output-on-failure -j"$(nproc)")
