#!/usr/bin/env bash
# Installs what is missing, then configures and builds the release preset.
# Re-running is incremental.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
[ -f build/release/build.ninja ] || cmake --preset release >/dev/null
cmake --build --preset release
