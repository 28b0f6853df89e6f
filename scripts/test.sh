#!/usr/bin/env bash
# The whole test suite: builds the release preset and runs every ctest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --preset release
# Then the fuzz preset (clang + libFuzzer) and a short fuzzing smoke run over it.
if [ "${NORMCHECK_SKIP_FUZZ_SMOKE:-0}" != 1 ]; then
  bash scripts/fuzz-smoke.sh
fi
