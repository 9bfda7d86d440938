#!/usr/bin/env bash
# The main job: set up, build, and boot the bundled device (bootloader verifies the active app,
# installs the newer candidate, jumps to it).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$here/scripts/setup.sh"
"$here/scripts/build.sh"
"$here/build/fwemu" boot
