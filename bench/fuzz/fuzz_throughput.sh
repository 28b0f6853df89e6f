#!/usr/bin/env bash
# Differential fuzzing throughput as a user gets it (bench/README.md, "Performance targets"):
# one run of `normcheck fuzz` per figure, exec/s read from its summary.
#   - a correct kernel with --jobs 1 and --jobs 2 (target: >= 20,000 exec/s per core);
#   - a mutant on which most inputs are findings, --jobs 1 (target: >= 10,000 exec/s);
#   - the backward target (backward_fuzzer): a correct backward kernel and two backward
#     mutants, --jobs 1, each with the time from the start of the command to its first
#     recorded finding (the finding store's first case file).
# Each run starts from an empty work folder (the seed corpus only) and writes its
# findings to a scratch corpus, so nothing of the source tree changes.
#   FUZZ_BENCH_SECONDS  seconds per run (default 60)
#   NORMCHECK_BIN       the release normcheck (default build/release/normcheck); it builds
#                       the fuzz targets on first use
#   FUZZ_BENCH_MUTANT   the mutant (default mutant.layernorm.unbiased_variance: it divides
#                       by n - 1, so nearly every input with n >= 2 is a finding)
#   FUZZ_BENCH_BACKWARD_SECONDS  seconds per backward run (default 20)
#   FUZZ_BENCH_BACKWARD_MUTANTS  the backward mutants (default: a dx and a dgamma / dbeta one)
#   FUZZ_BENCH_ONLY     forward or backward: only those runs (default: all)
#   FUZZ_BENCH_REPEAT   runs of each forward figure (default 1): one 60 s run's exec/s depends
#                       on the corpus its trajectory builds (how many large pattern inputs it
#                       keeps), so a figure is best read as the range of a few
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${FUZZ_BENCH_SECONDS:-60}
normcheck=${NORMCHECK_BIN:-build/release/normcheck}
mutant=${FUZZ_BENCH_MUTANT:-mutant.layernorm.unbiased_variance}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# bench LABEL SECONDS ARGS...: one run; prints the command and its summary's throughput lines.
bench() {
  local label=$1 time=$2
  shift 2
  local args=(fuzz "$@" --time "$time" --work-dir "$tmp/$label-work" --corpus "$tmp/$label-findings")
  echo "== $label: $normcheck ${args[*]}"
  local rc=0 start
  start=$(date +%s.%N)
  "$normcheck" "${args[@]}" >"$tmp/$label.out" 2>"$tmp/$label.err" || rc=$?
  if [ "$rc" -gt 1 ]; then
    echo "   failed (exit $rc):"
    tail -20 "$tmp/$label.err" | sed 's/^/   /'
    return 1
  fi
  grep -E "^  (executions|builds|coverage|crashes|finding)" "$tmp/$label.out" | sed 's/^/  /'
  # The first case the targets recorded: its file's modification time.
  local first
  first=$(find "$tmp/$label-work" -path '*/findings/*.json' -printf '%T@\n' 2>/dev/null | sort -n | head -1)
  [ -z "$first" ] || echo "   first finding recorded $(echo "$first - $start" | bc) s after the start"
}

echo "fuzz throughput, ${seconds} s a run, $(nproc) core(s), load $(cut -d' ' -f1-3 /proc/loadavg)"
backward_seconds=${FUZZ_BENCH_BACKWARD_SECONDS:-20}
read -r -a backward_mutants <<<"${FUZZ_BENCH_BACKWARD_MUTANTS:-mutant.layernorm_backward.mean_g_twice mutant.layernorm_backward.last_partial_block_dropped}"

only=${FUZZ_BENCH_ONLY:-all}

if [ "$only" != backward ]; then
  for run in $(seq 1 "${FUZZ_BENCH_REPEAT:-1}"); do
    bench "correct-jobs1-run$run" "$seconds" --kernel layernorm.f32.two_pass --jobs 1
    bench "correct-jobs2-run$run" "$seconds" --kernel layernorm.f32.two_pass --jobs 2
    bench "mutant-jobs1-run$run" "$seconds" --kernel "$mutant" --jobs 1
  done
fi
if [ "$only" != forward ]; then
  bench backward-correct-jobs1 "$backward_seconds" --kernel layernorm_backward.f32 --jobs 1
  for m in "${backward_mutants[@]}"; do
    bench "backward-${m##*.}-jobs1" "$backward_seconds" --kernel "$m" --jobs 1
  done
fi
