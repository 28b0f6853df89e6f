// `normcheck report`: runs the sweeps, the eps grid and the edge cases for each kernel
// on all cores, saves the worst cases, and writes index.html, report.md, report.json.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "harness/isolation.hpp"
#include "harness/report/report_model.hpp"

namespace normcheck::harness::report {

struct ReportOptions {
  std::vector<std::string> kernels;  // names; empty = every non-mutant kernel (built-in, oneDNN, plugins)
  std::vector<std::string> plugins;  // shared libraries to load
  std::filesystem::path out_dir;
  std::uint64_t seed = 1;
  bool quick = false;                // small sweeps for CI
  std::optional<std::filesystem::path> budgets_file;
  unsigned threads = 0;              // 0 = std::thread::hardware_concurrency()
  bool progress = false;             // progress line on stderr (the CLI passes isatty)
  std::string command;               // the command line, recorded in the report
  // Kernels run in worker processes, so a crash or hang is a finding and the rest of the
  // report is still written; false runs them in this process (trusted kernels, sanitizers).
  bool isolate = true;
  std::chrono::milliseconds case_timeout = kDefaultCaseTimeout;
};

// Runs everything and writes the worst cases to out_dir/cases/. Throws InputError for
// an unknown kernel name or a bad budget file, impls::PluginError for a bad plugin.
ReportModel run_report(const ReportOptions& options);

// Writes out_dir/report.json, out_dir/report.md and out_dir/index.html. Throws
// InputError when the charting bundles are missing (see web_assets.hpp).
void write_report(const ReportModel& model, const std::filesystem::path& out_dir);

}  // namespace normcheck::harness::report
