// The worst cases of a kernel: reduced to the single worst row when that row alone
// shows the same verdict, saved as case files with the command that replays them.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "harness/budget.hpp"
#include "harness/report/collector.hpp"
#include "harness/report/report_model.hpp"
#include "impls/registry.hpp"

namespace normcheck::harness::report {

// How many worst cases each kernel keeps.
inline constexpr std::size_t kWorstCasesPerKernel = 3;

// Keeps the kWorstCasesPerKernel worst candidates, worst first.
void keep_worst(std::vector<WorstProblem>& kept, WorstProblem candidate);

// Reduces, re-evaluates and writes each candidate to out_dir/cases/<kernel>-<i>.json.
// replay_dir is out_dir as the user wrote it, and budgets_file the --budgets given ("" for
// none), for the replay command.
std::vector<WorstCase> save_worst_cases(KernelJudge& judge,
                                        const std::vector<WorstProblem>& candidates,
                                        const std::filesystem::path& out_dir, const std::string& replay_dir,
                                        const std::filesystem::path& budgets_file);

}  // namespace normcheck::harness::report
