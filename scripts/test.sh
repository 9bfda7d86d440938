#!/usr/bin/env bash
# Set up, build, and pass all tests: a normal build running the whole ctest suite, and an
# AddressSanitizer + UndefinedBehaviorSanitizer build running the unit tests and a representative
# slice (below); in between, a Release
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
# The sanitizer build runs every unit test and a representative slice of the rest: CLI and
# harness e2e checks, the leak probe, determinism (sweeps on workers, sharing on and off), and
# scenarios of each kind (sweep, install, power loss, corrupt header, full and delta update, link
# fault, reset loop guard in test_run).
asan_slice='^(e2e_(cli|lsan_hook_leak|determinism|architecture|delta_cli|manifest_cli)|scenario_(install-sweep|install-newer|power-loss-mid-copy-torn|candidate-bad-crc|corrupt-active-recovers|update-full|update-delta|update-link-drop-payload|update-delta-corrupt-lz4|watchdog-reset-during-install))$'
(cd "$here/build-asan" && export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
   LSAN_OPTIONS=suppressions="$here/tests/lsan.supp" &&
   ctest --output-on-failure -j"$(nproc)" -L unit &&
   ctest --output-on-failure -j"$(nproc)" -R "$asan_slice")
