#!/usr/bin/env bash
# The whole test suite: builds the release preset and runs every ctest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --preset release
