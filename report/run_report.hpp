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
#include "impls/registry.hpp"
#include "report/report_model.hpp"

namespace normcheck::harness::report {

struct ReportOptions {
  std::vector<std::string> kernels;  // names; empty = every non-mutant kernel (built-in, oneDNN, plugins)
  std::vector<std::string> plugins;  // shared libraries to load
  // The report directory as the user named it: replay commands start there. run_report
  // writes nothing; write_report writes the whole report (the CLI: into a staged copy).
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
  // Forward kernels judged in this process, never in a worker, beside the kernels above:
  // Python callables (an interpreter whose threads hold locks cannot be forked safely). Each
  // is in the report whether or not `kernels` names it; their names must be new. The
  // caller keeps them alive until run_report returns.
  std::vector<impls::KernelInfo> in_process_kernels;
  std::vector<impls::BackwardKernelInfo> in_process_backward_kernels;  // the same for backward kernels
  // With no names: every non-mutant kernel (true), or only the in-process ones (false).
  bool every_kernel_by_default = true;
};

// Whether the report runs this kernel in its own process (an in-process kernel of the
// options), whatever options.isolate says of the others.
bool runs_in_process(const ReportOptions& options, const impls::KernelInfo& kernel);
bool runs_in_process(const ReportOptions& options, const impls::BackwardKernelInfo& kernel);

// Runs everything; the worst cases are in the model, not yet on disk. Throws InputError
// for an unknown kernel name or a bad budget file, impls::PluginError for a bad plugin.
ReportModel run_report(const ReportOptions& options);

// Writes dir/report.json, dir/report.md, dir/index.html and dir/cases/ (each file
// complete or absent: write_file_atomically). Throws InputError when the charting
// bundles are missing (see web_assets.hpp), OutputError when a file cannot be written.
// The CLI writes into a StagedDirectory (atomic_file.hpp) and swaps it into place.
void write_report(const ReportModel& model, const std::filesystem::path& dir);

}  // namespace normcheck::harness::report
