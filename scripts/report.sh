#!/usr/bin/env bash
# The main job: the accuracy report for the built-in kernels, written to report/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
./build/release/normcheck oracle corpus/seeds/layernorm_f16_basic.json
