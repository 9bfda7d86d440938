#!/usr/bin/env bash
# The main job: set up, build, boot the bundled device (the bootloader verifies the active app,
# installs the newer candidate, jumps to it), then run the bundled scenario suite with reports.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$here/scripts/setup.sh"
"$here/scripts/build.sh"
"$here/build/fwemu" boot
"$here/build/fwemu" run -j"$(nproc)" --junit "$here/build/report.xml" --json "$here/build/report.json"
