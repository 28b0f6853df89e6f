#!/usr/bin/env bash
# How the default gate catches each backward mutant: `normcheck check --kernel MUTANT
# --max-findings 1` (default seed and cases), read from its JSON report: the index of the
# first failing case, the seconds from the kernel's start to it, the class, and the case's
# elements (rows x n) before and after shrinking. dgamma / dbeta reduction bugs need rows:
# their minimized case says how many.
#   NORMCHECK_BIN  the release normcheck (default build/release/normcheck)
set -euo pipefail
cd "$(dirname "$0")/../.."

normcheck=${NORMCHECK_BIN:-build/release/normcheck}
[ -x "$normcheck" ] || { echo "backward_mutants: $normcheck missing; run scripts/build.sh first" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "backward mutants through the default gate, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '  %-52s %6s %9s %-8s %s\n' mutant case seconds class "elements (rows x n): found -> minimized"
for mutant in $("$normcheck" list | awk '$2 == "backward" && $1 ~ /^mutant\./ { print $1 }'); do
  status=0
  "$normcheck" check --kernel "$mutant" --max-findings 1 --save-failures "$out/cases" --json "$out/$mutant.json" \
    >/dev/null 2>&1 || status=$?
  if [ "$status" -ne 1 ]; then
    printf '  %-52s NOT CAUGHT (exit %s)\n' "$mutant" "$status"
    continue
  fi
  python3 - "$out/$mutant.json" "$mutant" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
finding = report["kernels"][0]["findings"][0]
case = finding["case"]
print("  %-52s %6d %9.3f %-8s %d -> %d (%d x %d)" % (
    sys.argv[2], finding["case_index"], finding["seconds_to_detect"], finding["class"],
    finding["original_elements"], finding["elements"], case["rows"], case["n"]))
PY
done
