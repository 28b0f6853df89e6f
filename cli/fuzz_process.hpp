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

// What a libFuzzer process has said so far: its last status line ("#runs ... cov: .. ft: ..
// corp: .. exec/s: .."; a fork-mode parent's also "oom/timeout/crash: a/b/c"), its final
// count of executions, and the artifacts it wrote.
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

// One job of a run: a libFuzzer process of the throughput build or of the
// AddressSanitizer build, outside fork mode. It exits on its first crash, hang or
// out-of-memory (or vanishes, if the kernel calls _exit); then it is started again for the
// time left (argv's -max_total_time rewritten). If it ended while reading the corpus, the
// input that ended it (its artifact, or the input trace_dir says it was running) is first
// moved from corpus_dirs to quarantine_dir.
struct FuzzProcessSpec {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::filesystem::path log_path;
  std::vector<std::filesystem::path> corpus_dirs;
  std::filesystem::path quarantine_dir;
  std::filesystem::path trace_dir;  // the run's finding store, where the input traces are
};

struct FuzzRunResult {
  int exit_status = 0;     // the first non-zero exit code of the processes (128 + signal), else 0
  bool interrupted = false;  // the user pressed Ctrl-C (or sent SIGTERM)
  bool aborted = false;      // ... twice: the groups were killed at once, collect nothing
  int abort_signal = 0;      // the second signal (SIGINT or SIGTERM) when aborted
  FuzzStats stats;           // summed over the jobs (coverage, features, corpus: the first's)
  std::vector<FuzzStats> per_process;  // one per job, over its restarts
  double seconds = 0;
};

// Starts every job with its extra environment variables, each process in its own process
// group, writes each one's output lines to its log, calls on_stats (with the summed
// stats) after each status line, and restarts a job that ended early while fuzz_seconds
// have not passed. The first SIGINT / SIGTERM to this process stops every group (SIGTERM,
// then SIGKILL if one is still there a few seconds later) and returns; a second one kills
// the groups and returns at once, aborted. They are stopped the same way once
// hard_deadline_seconds have passed. Returns when all jobs have ended.
FuzzRunResult run_fuzzer_processes(const std::vector<FuzzProcessSpec>& processes, double fuzz_seconds,
                                   double hard_deadline_seconds,
                                   const std::function<void(const FuzzStats&, double elapsed)>& on_stats);

// Runs argv to completion with env, output captured (for reproducing one input).
struct CapturedRun {
  int exit_status = 0;
  std::string output;
};
CapturedRun run_captured(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env);

}  // namespace normcheck::harness::cli
