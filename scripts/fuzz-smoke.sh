#!/usr/bin/env bash
# CI fuzz smoke: builds the fuzz presets (fuzz: ASan + UBSan; fuzz-fast: the throughput
# build `normcheck fuzz` runs by default), then fuzzes two at a time (2 cores): correct
# kernels must give no finding under the sanitizers, a fused kernel none with one
# throughput and one sanitizer job, two mutants must be found (recorded in-process, hit
# many times: fuzzing went on), minimized and replayable, a correct backward kernel must give
# no finding and two backward mutants must be found and replayable (backward_fuzzer), nine
# hostile plugin kernels must be findings (or, checking nothing, no pass), and the parser and
# plugin-validation targets must survive. About 4 minutes after the build.
#   NORMCHECK_FUZZ_SMOKE_SECONDS  seconds per correct-kernel run (default 60)
#   NORMCHECK_FUZZ_SMOKE_BACKWARD_SECONDS  seconds per backward run (default 5: the backward
#                                 mutants are found within a second, from the seeds)
#   NORMCHECK_BIN                 the release normcheck (default build/release/normcheck)
#   NORMCHECK_FAULTY_PLUGIN       the release tests' faulty plugin (default
#                                 build/release/tests/cli/libnormcheck_faulty_plugin.so)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${NORMCHECK_FUZZ_SMOKE_SECONDS:-60}
short=$(( seconds / 2 ))
backward=${NORMCHECK_FUZZ_SMOKE_BACKWARD_SECONDS:-5}
normcheck=${NORMCHECK_BIN:-build/release/normcheck}
faulty_plugin=${NORMCHECK_FAULTY_PLUGIN:-build/release/tests/cli/libnormcheck_faulty_plugin.so}
fuzzers=build/fuzz/fuzz
fast_fuzzers=build/fuzz-fast/fuzz

for preset in fuzz fuzz-fast; do
  [ -f "build/$preset/build.ninja" ] || cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" --target normcheck_fuzzers -j 2
done
[ -x "$normcheck" ] || { echo "fuzz-smoke: $normcheck missing; build the release preset first" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

# fuzz_kernel LABEL KERNEL SECONDS [ARGS...]: `normcheck fuzz` in the background, findings into $tmp.
fuzz_kernel() {
  local label=$1 kernel=$2 time=$3
  shift 3
  ( set +e
    "$normcheck" fuzz --kernel "$kernel" --time "$time" --fuzzer-dir "$fast_fuzzers" --asan-fuzzer-dir "$fuzzers" \
      --work-dir "$tmp/$label-work" --corpus "$tmp/$label-findings" "$@" >"$tmp/$label.log" 2>&1
    echo $? >"$tmp/$label.rc" ) &
}

# run_target LABEL TARGET SECONDS: a libFuzzer target alone (non-differential targets).
run_target() {
  ( set +e
    mkdir -p "$tmp/$1-corpus"
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
      "$fuzzers/$2" -max_total_time="$3" -timeout=10 -print_final_stats=1 -artifact_prefix="$tmp/$1-" \
      "$tmp/$1-corpus" "$fuzzers/$2_seed_corpus" >"$tmp/$1.log" 2>&1
    echo $? >"$tmp/$1.rc" ) &
}

# fail LABEL WHAT LINES: counts a failed check and shows the end of the run's output.
fail() {
  echo "fuzz-smoke: FAIL $1: $2"
  tail -"$3" "$tmp/$1.log" | sed 's/^/    /'
  failures=$((failures + 1))
}

# expect LABEL EXIT_CODE WHAT: checks a finished run and prints its summary.
expect() {
  local rc
  rc=$(cat "$tmp/$1.rc")
  if [ "$rc" = "$2" ]; then
    echo "fuzz-smoke: ok   $1: $3"
    grep -E "executions|coverage|finding|replay:|stat::(number_of_executed_units|average_exec_per_sec)" "$tmp/$1.log" |
      sed 's/^/    /' | head -12 || true
  else
    fail "$1" "expected exit $2 ($3), got $rc" 40
  fi
}

# A found mutant leaves a minimized case that still fails on the kernel (as its expect,
# "fail", records) with and without --kernel, and its printed replay line runs verbatim.
expect_replayable() {
  local case_file
  case_file=$(find "$tmp/$1-findings" -name '*.json' | head -1)
  if [ -z "$case_file" ]; then
    echo "fuzz-smoke: FAIL $1: no regression case written"
    failures=$((failures + 1))
    return
  fi
  # On a mutant, "expect" is "fail" (docs/checking.md): replay exits 0 while the case
  # still fails there, and says so.
  if ! "$normcheck" replay "$case_file" --kernel "$2" >"$tmp/$1-on-kernel.log" 2>&1 ||
     ! grep -q "still fails as recorded" "$tmp/$1-on-kernel.log"; then
    echo "fuzz-smoke: FAIL $1: $case_file no longer fails on $2"
    sed 's/^/    /' "$tmp/$1-on-kernel.log"
    failures=$((failures + 1))
  elif ! "$normcheck" replay "$case_file" >"$tmp/$1-replay.log" 2>&1; then
    echo "fuzz-smoke: FAIL $1: $case_file does not replay as recorded"
    sed 's/^/    /' "$tmp/$1-replay.log"
    failures=$((failures + 1))
  else
    echo "fuzz-smoke: ok   $1: $case_file replays"
  fi
  # The replay command the summary prints runs verbatim (a mutant's case expects "fail":
  # still failing is as expected, exit 0).
  local printed
  printed=$(sed -n 's/^    replay: //p' "$tmp/$1.log" | head -1)
  if [ -z "$printed" ]; then
    echo "fuzz-smoke: FAIL $1: the summary prints no replay command"
    failures=$((failures + 1))
  elif ! bash -c "$printed" >"$tmp/$1-printed.log" 2>&1; then
    echo "fuzz-smoke: FAIL $1: the printed command failed: $printed"
    sed 's/^/    /' "$tmp/$1-printed.log"
    failures=$((failures + 1))
  else
    echo "fuzz-smoke: ok   $1: the printed replay command runs verbatim"
  fi
}

# expect_line LABEL TEXT WHAT: the run's output holds TEXT.
expect_line() {
  if grep -qF -- "$2" "$tmp/$1.log"; then
    echo "fuzz-smoke: ok   $1: $3"
  else
    fail "$1" "$3 (no \"$2\" in its output)" 20
  fi
}

# A finding is recorded and fuzzing goes on: the summary counts its hits. One hit (or a
# handful) would mean every finding still ended its job.
expect_many_hits() {
  local hits
  hits=$(sed -n 's/^  finding .* (\([0-9]*\) hit(s))$/\1/p' "$tmp/$1.log" | sort -n | tail -1)
  if [ -n "$hits" ] && [ "$hits" -ge 20 ]; then
    echo "fuzz-smoke: ok   $1: the finding was hit $hits times (fuzzing went on)"
  else
    echo "fuzz-smoke: FAIL $1: the finding was hit ${hits:-0} times; expected fuzzing to go on past it"
    failures=$((failures + 1))
  fi
}

echo "fuzz-smoke: correct kernels under ASan + UBSan (--sanitize), ${seconds}s each"
fuzz_kernel layernorm-f32 layernorm.f32.two_pass "$seconds" --sanitize
fuzz_kernel rmsnorm-f32 rmsnorm.f32 "$seconds" --sanitize
wait
expect layernorm-f32 0 "no finding on a correct kernel"
expect rmsnorm-f32 0 "no finding on a correct kernel"

echo "fuzz-smoke: a fused kernel (a throughput and a sanitizer job) and the case parser, ${short}s each"
fuzz_kernel fused-f16 fused_add_layernorm.f16 "$short" --jobs 2
run_target case-parser case_parser_fuzzer "$short"
wait
expect fused-f16 0 "no finding on a correct fused kernel"
expect_line fused-f16 "AddressSanitizer 1 job(s)" "one of the two jobs ran the sanitizer build"
expect case-parser 0 "parse_case never crashes, round-trips exactly"

echo "fuzz-smoke: two mutants must be found (throughput build), ${short}s each"
fuzz_kernel one-pass-variance mutant.layernorm.one_pass_variance "$short"
fuzz_kernel eps-ignored mutant.rmsnorm.eps_ignored "$short"
run_target plugin-validation plugin_validation_fuzzer "$short"
wait
expect one-pass-variance 1 "finding on the one-pass-variance mutant"
expect eps-ignored 1 "finding on the eps mutant"
expect plugin-validation 0 "load_plugin accepts exactly the valid tables"
expect_many_hits one-pass-variance
expect_many_hits eps-ignored
expect_replayable one-pass-variance mutant.layernorm.one_pass_variance
expect_replayable eps-ignored mutant.rmsnorm.eps_ignored

echo "fuzz-smoke: backward kernels (backward_fuzzer), ${backward}s each"
fuzz_kernel layernorm-backward-f32 layernorm_backward.f32 "$backward" --jobs 2
wait
fuzz_kernel mean-g-twice mutant.layernorm_backward.mean_g_twice "$backward"
fuzz_kernel last-partial-block mutant.layernorm_backward.last_partial_block_dropped "$backward"
wait
expect layernorm-backward-f32 0 "no finding on a correct backward kernel (a throughput and a sanitizer job)"
expect_line layernorm-backward-f32 "with backward_fuzzer" "the backward target ran"
expect mean-g-twice 1 "finding on the dx mutant"
expect last-partial-block 1 "finding on the dgamma / dbeta reduction mutant"
expect_replayable mean-g-twice mutant.layernorm_backward.mean_g_twice
expect_replayable last-partial-block mutant.layernorm_backward.last_partial_block_dropped

# Hostile kernels of the release tests' faulty plugin (about 40 s), two at a time: each is
# a finding with a case that replays (or, for the one that checks nothing, exit 1), and
# what a kernel prints never reaches normcheck's own output.
if [ -f "$faulty_plugin" ]; then
  echo "fuzz-smoke: hostile plugin kernels (one of them backward), 5s each"
  hostile() { fuzz_kernel "$1" "faulty.$2" 5 --plugin "$faulty_plugin" "${@:3}"; }
  hostile quick-exits layernorm.f32.quick_exits
  hostile leaks layernorm.f32.leaks --sanitize  # LeakSanitizer sees it
  wait
  hostile crash layernorm.f32.crash
  hostile hang layernorm.f32.hang
  wait
  hostile rounds-upward layernorm.f32.rounds_upward
  hostile status7 layernorm.f32.status7
  wait
  hostile unsupported rmsnorm.f32.unsupported
  hostile chatty layernorm.f32.chatty
  wait
  hostile backward-quick-exits layernorm_backward.f32.quick_exits
  wait
  expect quick-exits 1 "a kernel that _exit()s is a finding"
  expect_line quick-exits "faulty.layernorm.f32.quick_exits-layernorm-crash" "the job it ended gives its input: a crash with a case"
  expect_line quick-exits "worker exited with status 0" "replayed in a worker, where ending the process is seen"
  expect leaks 1 "a leaking kernel is a finding"
  expect_line leaks "faulty.layernorm.f32.leaks-layernorm-memory" "a memory finding"
  expect crash 1 "a crashing kernel is a finding"
  expect_line crash 'kernel output, 30 bytes: "faulty kernel: about to crash\n"' "what the kernel printed goes with its crash"
  expect hang 1 "a hanging kernel is a finding"
  expect_line hang "faulty.layernorm.f32.hang-layernorm-timeout" "a timeout finding"
  expect rounds-upward 1 "a kernel that leaves the rounding mode changed is a finding"
  expect_line rounds-upward "faulty.layernorm.f32.rounds_upward-layernorm-fp-state" "an fp-state finding"
  expect status7 1 "a status outside the enum is a finding"
  expect_line status7 "the kernel returned status 7" "the status is reported as a number"
  expect unsupported 1 "a kernel that checks no input does not pass"
  expect_line unsupported "no input checked" "said so"
  expect backward-quick-exits 1 "a backward kernel that _exit()s is a finding"
  expect_line backward-quick-exits "faulty.layernorm_backward.f32.quick_exits-layernorm-crash" \
    "the job it ended gives its backward input: a crash with a case"
  expect_line backward-quick-exits "worker exited with status 0" "replayed in a worker, where ending the process is seen"
  expect chatty 0 "a chatty correct kernel passes"
  if grep -qF "all within budget" "$tmp/chatty.log"; then
    fail chatty "the kernel's fake verdict reached normcheck's output" 10
  else
    echo "fuzz-smoke: ok   chatty: the kernel's output stays in the fuzzer's log"
  fi
  for label in quick-exits backward-quick-exits crash rounds-upward status7; do
    printed=$(sed -n 's/^    replay: //p' "$tmp/$label.log" | head -1)
    # The kernel is under test ("expect": "pass") and still fails: its replay exits 1.
    if [ -n "$printed" ] && { bash -c "$printed" >"$tmp/$label-printed.log" 2>&1; [ $? = 1 ]; }; then
      echo "fuzz-smoke: ok   $label: the printed replay command runs verbatim and still fails"
    else
      fail "$label" "the printed replay command does not reproduce the finding: ${printed:-none}" 10
    fi
  done
else
  echo "fuzz-smoke: skip hostile plugin kernels: $faulty_plugin missing (build the release preset's tests)"
fi

if ((failures)); then
  echo "fuzz-smoke: $failures check(s) failed"
  exit 1
fi
echo "fuzz-smoke: all checks passed"
