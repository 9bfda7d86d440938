#!/usr/bin/env bash
# Set up, build, and pass all tests: a normal build and an AddressSanitizer +
# UndefinedBehaviorSanitizer build, each running the whole ctest suite; in between, a Release
# build (gcc -O3: its own warnings) and a clang build, each built whole (warnings are errors in
# our code with every build type and compiler) and running the unit tests.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$here/scripts/setup.sh"
"$here/scripts/build.sh" "$here/build"
(cd "$here/build" && ctest --output-on-failure -j"$(nproc)")
"$here/scripts/build.sh" "$here/build-release" -DCMAKE_BUILD_TYPE=Release
(cd "$here/build-release" && ctest --output-on-failure -j"$(nproc)" -L unit)
CC=clang "$here/scripts/build.sh" "$here/build-clang"
(cd "$here/build-clang" && ctest --output-on-failure -j"$(nproc)" -L unit)
"$here/scripts/build.sh" "$here/build-asan" -DFWEMU_SANITIZE=ON
(cd "$here/build-asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
   LSAN_OPTIONS=suppressions="$here/tests/lsan.supp" ctest --output-on-failure -j"$(nproc)")
