#!/usr/bin/env bash
# Differential fuzzing throughput as a user gets it (bench/README.md, "Performance targets"):
# one run of `normcheck fuzz` per figure, exec/s read from its summary.
#   - a correct kernel with --jobs 1 and --jobs 2 (target: >= 20,000 exec/s per core);
#   - a mutant on which most inputs are findings, --jobs 1 (target: >= 10,000 exec/s).
# Each run starts from an empty work folder (the seed corpus only) and writes its
# findings to a scratch corpus, so nothing of the source tree changes.
#   FUZZ_BENCH_SECONDS  seconds per run (default 60)
#   NORMCHECK_BIN       the release normcheck (default build/release/normcheck); it builds
#                       the fuzz targets on first use
#   FUZZ_BENCH_MUTANT   the mutant (default mutant.layernorm.unbiased_variance: it divides
#                       by n - 1, so nearly every input with n >= 2 is a finding)
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${FUZZ_BENCH_SECONDS:-60}
normcheck=${NORMCHECK_BIN:-build/release/normcheck}
mutant=${FUZZ_BENCH_MUTANT:-mutant.layernorm.unbiased_variance}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# bench LABEL ARGS...: one run; prints the command and its summary's throughput lines.
bench() {
  local label=$1
  shift
  local args=(fuzz "$@" --time "$seconds" --work-dir "$tmp/$label-work" --corpus "$tmp/$label-findings")
  echo "== $label: $normcheck ${args[*]}"
  local rc=0
  "$normcheck" "${args[@]}" >"$tmp/$label.out" 2>"$tmp/$label.err" || rc=$?
  if [ "$rc" -gt 1 ]; then
    echo "   failed (exit $rc):"
    tail -20 "$tmp/$label.err" | sed 's/^/   /'
    return 1
  fi
  grep -E "^  (executions|builds|coverage|crashes|finding)" "$tmp/$label.out" | sed 's/^/  /'
}

echo "fuzz throughput, ${seconds} s a run, $(nproc) core(s), load $(cut -d' ' -f1-3 /proc/loadavg)"
bench correct-jobs1 --kernel layernorm.f32.two_pass --jobs 1
bench correct-jobs2 --kernel layernorm.f32.two_pass --jobs 2
bench mutant-jobs1 --kernel "$mutant" --jobs 1
