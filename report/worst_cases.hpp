// The worst cases of a kernel: reduced to the single worst row when that row alone
// shows the same verdict, saved as case files with the command that replays them.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/budget.hpp"
#include "report/collector.hpp"
#include "report/report_model.hpp"
#include "impls/registry.hpp"

namespace normcheck::harness::report {

// How many worst cases each kernel keeps.
inline constexpr std::size_t kWorstCasesPerKernel = 3;

// Keeps the kWorstCasesPerKernel worst candidates, worst first.
void keep_worst(std::vector<WorstProblem>& kept, WorstProblem candidate);

// The command that replays a report's case file on its kernel: `normcheck replay` with the
// kernel's --kernel / --plugin / --budgets (or --python FILE.py:NAME), or the Python API's
// normcheck.replay for a callable that was handed over in Python.
std::string report_replay_line(const impls::KernelInfo& kernel, const std::filesystem::path& case_file,
                               const std::filesystem::path& budgets_file, std::chrono::milliseconds case_timeout);
std::string report_replay_line(const impls::BackwardKernelInfo& kernel, const std::filesystem::path& case_file,
                               const std::filesystem::path& budgets_file, std::chrono::milliseconds case_timeout);

// Reduces and re-evaluates each candidate into the case file cases/<kernel>-<i>.json
// (its text in WorstCase::case_json; write_report writes it). replay_dir is the report
// directory as the user wrote it, and budgets_file the --budgets given ("" for none), for
// the replay command.
std::vector<WorstCase> prepare_worst_cases(KernelJudge& judge, const std::vector<WorstProblem>& candidates,
                                           const std::string& replay_dir, const std::filesystem::path& budgets_file);

}  // namespace normcheck::harness::report
