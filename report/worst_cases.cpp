// The worst cases of a kernel, reduced to one row where that keeps the verdict, as
// replayable case files (written with the rest of the report).
#include "report/worst_cases.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "harness/case.hpp"
#include "harness/replay_line.hpp"

namespace normcheck::harness::report {

namespace {

constexpr std::int64_t kMaxSavedElements = 1 << 16;

ref::NormProblem single_row(const ref::NormProblem& problem, std::int64_t row) {
  ref::NormProblem one = problem;
  one.rows = 1;
  const auto begin = static_cast<std::ptrdiff_t>(row * problem.n), end = begin + static_cast<std::ptrdiff_t>(problem.n);
  one.x.assign(problem.x.begin() + begin, problem.x.begin() + end);
  if (problem.has_residual()) one.residual.assign(problem.residual.begin() + begin, problem.residual.begin() + end);
  return one;
}

// Rows tried alone when reducing: evenly spaced, first and last included. A hang costs a
// whole case timeout per row, so a problem that hung is not reduced at all.
constexpr std::int64_t kMaxRowsTried = 64;

// The row that is worst on its own, if it keeps the problem's verdict (a multi-row
// contract such as row isolation needs the whole batch).
WorstProblem reduce(KernelJudge& judge, const WorstProblem& candidate) {
  const std::int64_t rows_in_problem = candidate.problem.rows;
  if (rows_in_problem <= 1 || candidate.violation.rfind("timeout:", 0) == 0) return candidate;
  Collector rows(judge, false);
  const std::int64_t tried = std::min(rows_in_problem, kMaxRowsTried);
  for (std::int64_t i = 0; i < tried; ++i) {
    const std::int64_t r = tried == 1 ? 0 : i * (rows_in_problem - 1) / (tried - 1);
    rows.evaluate(single_row(candidate.problem, r), candidate.source);
  }
  const auto& best_row = rows.worst();
  const bool whole_fits = candidate.problem.rows * candidate.problem.n <= kMaxSavedElements;
  if (best_row && (best_row->failed == candidate.failed || !whole_fits)) return *best_row;
  return candidate;
}

template <class Info>
std::string replay_line_of(const Info& kernel, const std::filesystem::path& case_file,
                           const std::filesystem::path& budgets_file, std::chrono::milliseconds case_timeout) {
  // A callable handed to the Python API has no spec to load it from: the API's own replay.
  if (kernel.origin == impls::KernelOrigin::python && kernel.python_spec.empty())
    return python_api_replay(case_file);
  return replay_command(ReplayLine{case_file, kernel.kernel->name, plugin_of(kernel), budgets_file, case_timeout, {},
                                   kernel.python_spec});
}

}  // namespace

std::string report_replay_line(const impls::KernelInfo& kernel, const std::filesystem::path& case_file,
                               const std::filesystem::path& budgets_file, std::chrono::milliseconds case_timeout) {
  return replay_line_of(kernel, case_file, budgets_file, case_timeout);
}

std::string report_replay_line(const impls::BackwardKernelInfo& kernel, const std::filesystem::path& case_file,
                               const std::filesystem::path& budgets_file, std::chrono::milliseconds case_timeout) {
  return replay_line_of(kernel, case_file, budgets_file, case_timeout);
}

void keep_worst(std::vector<WorstProblem>& kept, WorstProblem candidate) {
  kept.push_back(std::move(candidate));
  // The source breaks ties, so the choice does not depend on the order tasks finished.
  std::sort(kept.begin(), kept.end(), [](const WorstProblem& a, const WorstProblem& b) {
    if (worse_than(a, b)) return true;
    if (worse_than(b, a)) return false;
    return a.source < b.source;
  });
  if (kept.size() > kWorstCasesPerKernel) kept.resize(kWorstCasesPerKernel);
}

std::vector<WorstCase> prepare_worst_cases(KernelJudge& judge, const std::vector<WorstProblem>& candidates,
                                           const std::string& replay_dir, const std::filesystem::path& budgets_file) {
  std::vector<WorstCase> saved;
  const impls::KernelInfo& kernel = judge.kernel();
  const std::string name = kernel.kernel->name;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const WorstProblem reduced = reduce(judge, candidates[i]);
    // Re-evaluate what is saved, so the numbers shown are what replay will show.
    Collector check(judge, false);
    const CaseEvaluation& evaluation = check.evaluate(reduced.problem, reduced.source);
    Case c;
    c.problem = reduced.problem;
    c.kernel = name;
    c.expect = expected_verdict(kernel);
    c.note = fmt::format("normcheck report worst case {} of {}: {}", i + 1, name, reduced.source);
    const std::string file = fmt::format("cases/{}-{}.json", name, i + 1);
    WorstCase w;
    w.source = reduced.source;
    w.file = file;
    w.case_json = case_to_json(c);
    w.replay = report_replay_line(kernel, std::filesystem::path(replay_dir) / file, budgets_file, judge.case_timeout());
    w.failed = !evaluation.skipped && !evaluation.passed();
    w.score = evaluation.max_score;
    w.ulp_error = evaluation.max_ulp_error;
    w.violation = first_violation(evaluation);
    saved.push_back(std::move(w));
  }
  return saved;
}

}  // namespace normcheck::harness::report
