#!/usr/bin/env bash
# The gate's throughput as CI gets it (bench/README.md, "Performance targets": the default
# `normcheck check` over every built-in kernel under 60 s on 2 cores, at >= 5 million
# checked outputs per second): one run of the default gate on one thread and one on
# every hardware thread, each figure read from the run's own summary line
# ("... outputs checked in S s on T threads (R M/s) ..."). Same seed, so the same cases:
# the two lines differ only in time, and their ratio is the scaling over kernels.
#   NORMCHECK_BIN  the release normcheck (default build/release/normcheck)
set -euo pipefail
cd "$(dirname "$0")/../.."

normcheck=${NORMCHECK_BIN:-build/release/normcheck}
[ -x "$normcheck" ] || { echo "gate_throughput: $normcheck missing; run scripts/build.sh first" >&2; exit 2; }

echo "gate throughput, $(nproc) core(s), load $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A seconds
for threads in 1 "$(nproc)"; do
  line=$("$normcheck" check --threads "$threads" | grep -E "outputs checked in")
  echo "  --threads $threads: $line"
  seconds[$threads]=$(sed -E 's/.* checked in ([0-9.]+) s .*/\1/' <<<"$line")
done
awk -v one="${seconds[1]}" -v all="${seconds[$(nproc)]}" -v t="$(nproc)" \
  'BEGIN { if (all > 0) printf "  scaling: %.2fx faster on %d threads than on 1\n", one / all, t }'
