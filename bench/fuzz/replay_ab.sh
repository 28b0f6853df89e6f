#!/usr/bin/env bash
# A/B of fuzz-target builds on a fixed workload: each binary runs every input of one corpus
# RUNS times (libFuzzer's replay of files: no mutation, no coverage feedback), rounds
# alternating, and the fastest and median wall time of each binary are printed.
#
#   bash bench/fuzz/replay_ab.sh CORPUS_DIR BINARY_A BINARY_B [BINARY...]
#   REPLAY_ROUNDS  rounds (default 5)       REPLAY_RUNS  runs of each input (default 100)
#   REPLAY_KERNEL  NORMCHECK_KERNEL (default layernorm.f32.two_pass)
#
# Why not a fuzzing run with a fixed -seed: two builds whose coverage differs (any change to
# instrumented code) take different trajectories from the first new feature on, so they
# execute different inputs. A replay executes the same ones. The corpus is best a `normcheck
# fuzz` work folder's (FUZZER_DIR/work/<kernel>/corpus) from a run of the kind to speed up;
# copy it first, since nothing here writes to it. On a shared host compare the minima.
set -euo pipefail
[ $# -ge 3 ] || { sed -n 2,14p "$0" >&2; exit 2; }
corpus=$1
shift
rounds=${REPLAY_ROUNDS:-5}
runs=${REPLAY_RUNS:-100}
findings=$(mktemp -d)
trap 'rm -rf "$findings"' EXIT
inputs=("$corpus"/*)
echo "replay: ${#inputs[@]} inputs x $runs runs, $rounds rounds, load $(cut -d' ' -f1-3 /proc/loadavg)"

declare -A times
for _ in $(seq "$rounds"); do
  for binary in "$@"; do
    start=$(date +%s.%N)
    NORMCHECK_KERNEL=${REPLAY_KERNEL:-layernorm.f32.two_pass} NORMCHECK_FINDING_DIR=$findings \
      "$binary" -runs="$runs" "${inputs[@]}" >/dev/null 2>&1 || { echo "replay: $binary failed" >&2; exit 1; }
    times[$binary]+="$(echo "$(date +%s.%N) - $start" | bc) "
  done
done
for binary in "$@"; do
  echo "$binary: $(echo "${times[$binary]}" | tr ' ' '\n' | grep . | sort -n |
    awk '{t[NR] = $1} END {printf "fastest %.3f s, median %.3f s", t[1], t[int((NR + 1) / 2)]}')"
done
