#!/usr/bin/env bash
# The main job: the accuracy report for every correct built-in kernel (and the oneDNN
# adapters when built), written to accuracy-report/ (index.html, report.md, report.json, cases/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh normcheck
./build/release/normcheck report --out accuracy-report "$@"
