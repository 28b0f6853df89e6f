#!/usr/bin/env bash
# Installs what is missing, then configures and builds the release preset: every target,
# or only the targets named (scripts/report.sh builds just the normcheck executable).
# Re-running is incremental.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
[ -f build/release/build.ninja ] || cmake --preset release >/dev/null
if (($#)); then
  cmake --build --preset release --target "$@"
else
  cmake --build --preset release
fi
