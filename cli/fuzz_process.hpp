// Runs a libFuzzer binary as a child for `normcheck fuzz`: output teed to a log, stats
// parsed for progress, stopped on Ctrl-C so that what was found so far is kept.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace normcheck::harness::cli {

// The last status line libFuzzer printed (fork mode: "#runs: cov: .. ft: .. corp: ..
// exec/s .. oom/timeout/crash: a/b/c time: ..s").
struct FuzzStats {
  std::int64_t executions = 0;
  std::int64_t exec_per_second = 0;
  std::int64_t coverage = 0;  // cov: edges
  std::int64_t features = 0;  // ft:
  std::int64_t corpus = 0;
  std::int64_t crashes = 0;
  std::int64_t timeouts = 0;
  std::int64_t ooms = 0;
};

// Updates stats from one output line; true when the line was a status line.
bool parse_fuzz_stats_line(const std::string& line, FuzzStats& stats);

// One libFuzzer process of a run: the throughput build's fork-mode parent, or the
// AddressSanitizer build's beside it.
struct FuzzProcessSpec {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::filesystem::path log_path;
};

struct FuzzRunResult {
  int exit_status = 0;     // the first non-zero exit code of the processes (128 + signal), else 0
  bool interrupted = false;  // the user pressed Ctrl-C (or sent SIGTERM)
  bool aborted = false;      // ... twice: the groups were killed at once, collect nothing
  int abort_signal = 0;      // the second signal (SIGINT or SIGTERM) when aborted
  FuzzStats stats;           // summed over the processes (coverage, features, corpus: the first's)
  std::vector<FuzzStats> per_process;
  double seconds = 0;
};

// Starts every process with its extra environment variables, each in its own process
// group, writes each one's output lines to its log, calls on_stats (with the summed
// stats) after each status line. The first SIGINT / SIGTERM to this process stops every
// group (SIGTERM, then SIGKILL if one is still there a few seconds later) and returns; a
// second one kills the groups and returns at once, aborted. They are stopped the same
// way once hard_deadline_seconds have passed. Returns when all have ended.
FuzzRunResult run_fuzzer_processes(const std::vector<FuzzProcessSpec>& processes, double hard_deadline_seconds,
                                   const std::function<void(const FuzzStats&, double elapsed)>& on_stats);

// Runs argv to completion with env, output captured (for reproducing one input).
struct CapturedRun {
  int exit_status = 0;
  std::string output;
};
CapturedRun run_captured(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env);

}  // namespace normcheck::harness::cli
