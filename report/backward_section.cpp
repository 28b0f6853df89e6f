// The backward section's tasks (backward_section.hpp): each builds its problem from its own
// seeded stream, so results depend on neither the thread count nor the schedule.
#include "report/backward_section.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <optional>

#include <fmt/format.h>

#include "harness/backward_shrink.hpp"
#include "harness/case.hpp"
#include "harness/isolation.hpp"
#include "harness/kernel_shape.hpp"
#include "harness/parallel_for.hpp"
#include "harness/replay_line.hpp"  // expected_verdict
#include "impls/abi_names.hpp"
#include "report/collector.hpp"
#include "report/row_builders.hpp"
#include "report/worst_cases.hpp"

namespace normcheck::harness::report {
namespace {

using Clock = std::chrono::steady_clock;

// How a scenario fills x and dy (gamma is always the typical learned one).
enum class Fill { ordinary, large_mean, huge_dy, tiny_dy, constant_dy, sparse_dy, constant_rows };

struct ScenarioSpec {
  const char* id;
  const char* title;
  Fill fill;
};

// What each aims at: the ordinary case; the cancellation of x - mean that the saved f32
// statistics carry; overflow of g * xhat and of the column sums; underflow of g; the exact
// cancellation of g - mean(g); a reduction over mostly zeros; var = 0, where only eps keeps
// rstd finite.
constexpr ScenarioSpec kScenarios[] = {
    {"ordinary", "x, dy ~ N(0, 1)", Fill::ordinary},
    {"large_mean", "x = 1000 + N(0, 1) / 100", Fill::large_mean},
    {"huge_dy", "dy near the top of its dtype", Fill::huge_dy},
    {"tiny_dy", "dy near the bottom of its normal range", Fill::tiny_dy},
    {"constant_dy", "dy constant along each row", Fill::constant_dy},
    {"sparse_dy", "one dy in eight nonzero", Fill::sparse_dy},
    {"constant_rows", "x constant along each row (var = 0)", Fill::constant_rows},
};

struct Sizes {
  std::int64_t rows, n;
};
Sizes scenario_sizes(bool quick) { return quick ? Sizes{16, 64} : Sizes{64, 256}; }
// dgamma is a sum over rows: short rows, many of them.
std::int64_t rows_sweep_n(bool quick) { return quick ? 16 : 32; }

double rounded(ref::Format format, double value) { return ref::round_to_format(format, value); }

ref::BackwardProblem make_problem(const impls::BackwardKernelInfo& kernel, Rng& rng, Fill fill, std::int64_t rows,
                                  std::int64_t n) {
  ref::BackwardProblem p;
  p.op = op_of(kernel.kernel->op);
  p.x_format = format_of(kernel.kernel->x_dtype);
  p.param_format = format_of(kernel.kernel->param_dtype);
  p.dy_format = format_of(kernel.kernel->y_dtype);
  p.rows = rows;
  p.n = n;
  p.eps = f32_eps(1e-5);
  const auto& dy_traits = ref::traits(p.dy_format);
  // A power of two a few binades inside dy's range, so that N(0, 1) times it stays finite.
  const double dy_top = std::ldexp(1.0, dy_traits.emax - 4);
  const double dy_bottom = std::ldexp(1.0, dy_traits.emin + 2);
  for (std::int64_t r = 0; r < rows; ++r) {
    const double row_constant = standard_normal(rng);
    const double row_dy = standard_normal(rng);
    for (std::int64_t i = 0; i < n; ++i) {
      const double z = standard_normal(rng);
      double x = z;
      if (fill == Fill::large_mean) x = 1000.0 + z / 100.0;
      if (fill == Fill::constant_rows) x = row_constant;
      p.x.push_back(rounded(p.x_format, x));
      double dy = standard_normal(rng);
      if (fill == Fill::huge_dy) dy *= dy_top;
      if (fill == Fill::tiny_dy) dy *= dy_bottom;
      if (fill == Fill::constant_dy) dy = row_dy;
      if (fill == Fill::sparse_dy && (rng() & 7) != 0) dy = 0.0;
      p.dy.push_back(rounded(p.dy_format, dy));
    }
  }
  for (std::int64_t i = 0; i < n; ++i) p.gamma.push_back(rounded(p.param_format, 1.0 + standard_normal(rng) / 4));
  return p;
}

// What one task saw.
struct TaskOutcome {
  Tally tally;
  std::vector<OutputGroup> groups;
  std::optional<ref::BackwardProblem> failing;  // the case, when it failed
  std::string failing_source;
  double score = 0;
};

TaskOutcome judge_once(IsolatedEvaluator& evaluator, const ref::BackwardProblem& problem, const std::string& source) {
  TaskOutcome out;
  const IsolatedOutcome outcome = evaluator.evaluate(problem);
  CaseEvaluation evaluation;
  if (outcome.kind == IsolatedOutcome::Kind::evaluated) {
    evaluation = outcome.evaluation;
  } else {
    evaluation.violations = outcome.violations();
  }
  add_to_tally(out.tally, evaluation);
  out.groups = evaluation.groups;
  out.score = evaluation.max_score;
  if (!evaluation.skipped && !evaluation.passed()) {
    out.failing = problem;
    out.failing_source = source;
  }
  return out;
}

void merge_groups(std::vector<GradientErrors>& into, const std::vector<OutputGroup>& groups) {
  for (const OutputGroup& g : groups) {
    auto it = std::find_if(into.begin(), into.end(), [&](const GradientErrors& e) { return e.output == g.name; });
    if (it == into.end()) it = into.insert(into.end(), GradientErrors{g.name, 0, 0, 0});
    it->outputs += g.outputs;
    it->max_score = std::max(it->max_score, g.max_score);
    it->max_ulp_error = std::max(it->max_ulp_error, g.max_ulp_error);
  }
}

GradientErrors group_named(const std::vector<OutputGroup>& groups, const std::string& name) {
  for (const OutputGroup& g : groups)
    if (g.name == name) return {g.name, g.outputs, g.max_score, g.max_ulp_error};
  return {name, 0, 0, 0};
}

struct Task {
  std::size_t kernel = 0;
  std::size_t scenario = 0;  // index into kScenarios, or the rows point after them
  std::int64_t rows = 0, n = 0;
  std::string label;
};

}  // namespace

std::vector<BackwardScenario> backward_scenario_skeletons() {
  std::vector<BackwardScenario> out;
  for (const ScenarioSpec& s : kScenarios) out.push_back({s.id, s.title, {}});
  return out;
}

std::vector<std::int64_t> dgamma_rows_values(bool quick) {
  // Around the block sizes of row reductions (32, 64 and 256 rows a block are common) and
  // up to the thousands a training batch holds.
  if (quick) return {1, 31, 32, 33, 256};
  return {1, 7, 31, 32, 33, 63, 64, 65, 256, 1024, 4096};
}

BackwardSection::BackwardSection(std::vector<impls::BackwardKernelInfo> kernels, const BudgetTable& budgets,
                                 const ReportOptions& options)
    : kernels_(std::move(kernels)), options_(options) {
  for (const auto& k : kernels_) {
    budgets_.push_back(budgets.for_kernel(k));
    isolate_.push_back(options.isolate && !runs_in_process(options, k));
  }
}

std::size_t BackwardSection::task_count() const {
  return kernels_.size() * (std::size(kScenarios) + dgamma_rows_values(options_.quick).size());
}

std::vector<BackwardKernelReport> BackwardSection::run(unsigned threads,
                                                       const std::function<void(const std::string&)>& step) {
  const std::vector<std::int64_t> rows_values = dgamma_rows_values(options_.quick);
  std::vector<Task> tasks;
  std::vector<BackwardKernelReport> reports;
  for (std::size_t k = 0; k < kernels_.size(); ++k) {
    const impls::BackwardKernelInfo& kernel = kernels_[k];
    BackwardKernelReport r;
    r.name = kernel.kernel->name;
    r.op = impls::op_name(kernel.kernel->op);
    r.x_dtype = impls::dtype_name(kernel.kernel->x_dtype);
    r.param_dtype = impls::dtype_name(kernel.kernel->param_dtype);
    r.dy_dtype = impls::dtype_name(kernel.kernel->y_dtype);
    r.compute = impls::dtype_name(kernel.compute);
    r.origin = impls::origin_label(kernel);
    r.mutant = kernel.mutant;
    r.bug_class = kernel.bug_class;
    r.budget = budgets_[k];
    r.scenarios = backward_scenario_skeletons();
    const Sizes sizes = scenario_sizes(options_.quick);
    for (std::size_t s = 0; s < std::size(kScenarios); ++s)
      tasks.push_back({k, s, sizes.rows, sizes.n, fmt::format("{} backward {}", r.name, kScenarios[s].id)});
    for (const std::int64_t rows : rows_values) {
      r.dgamma_versus_rows.push_back({rows, rows_sweep_n(options_.quick), {"dgamma", 0, 0, 0}, {}});
      tasks.push_back({k, std::size(kScenarios) + r.dgamma_versus_rows.size() - 1, rows, rows_sweep_n(options_.quick),
                       fmt::format("{} backward dgamma rows={}", r.name, rows)});
    }
    reports.push_back(std::move(r));
  }

  // The failing case of the highest score; among equal scores the first task's.
  struct Worst {
    std::optional<ref::BackwardProblem> problem;
    std::string source;
    double score = 0;
  };
  std::vector<Worst> worst(kernels_.size());
  std::mutex mutex;
  // In this process (--no-isolate, a Python kernel) a kernel that does not declare
  // NORMCHECK_THREAD_SAFE is called by one thread at a time, as KernelJudge does for forward kernels.
  std::vector<std::mutex> serial(kernels_.size());
  const auto serialize = [&](std::size_t k) {
    return !isolate_[k] && !kernels_[k].thread_safe ? std::unique_lock(serial[k]) : std::unique_lock<std::mutex>();
  };
  std::vector<TaskOutcome> outcomes(tasks.size());
  parallel_for(tasks.size(), threads, [&](std::size_t t) {
    const Task& task = tasks[t];
    const auto started = Clock::now();
    const impls::BackwardKernelInfo& kernel = kernels_[task.kernel];
    IsolatedEvaluator evaluator(kernel, budgets_[task.kernel], options_.case_timeout, isolate_[task.kernel]);
    Rng rng = task_rng(options_.seed, std::string(kernel.kernel->name) + "/backward", t);
    const bool scenario = task.scenario < std::size(kScenarios);
    const Fill fill = scenario ? kScenarios[task.scenario].fill : Fill::ordinary;
    const std::string source = scenario ? fmt::format("backward {}", kScenarios[task.scenario].id)
                                        : fmt::format("backward dgamma rows={}", task.rows);
    const ref::BackwardProblem problem = make_problem(kernel, rng, fill, task.rows, task.n);
    {
      const auto one_at_a_time = serialize(task.kernel);
      outcomes[t] = judge_once(evaluator, problem, source);
    }
    std::lock_guard lock(mutex);
    reports[task.kernel].seconds += std::chrono::duration<double>(Clock::now() - started).count();
    step(task.label);
  });
  // Merged in plan order, not in the order threads finished: a tally's first violation and
  // the worst case among equal scores are then the same for every thread count.
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    const Task& task = tasks[t];
    const TaskOutcome& outcome = outcomes[t];
    BackwardKernelReport& r = reports[task.kernel];
    r.overall.merge(outcome.tally);
    merge_groups(r.gradients, outcome.groups);
    if (task.scenario < std::size(kScenarios)) {
      r.scenarios[task.scenario].tally = outcome.tally;
    } else {
      RowsPoint& point = r.dgamma_versus_rows[task.scenario - std::size(kScenarios)];
      point.tally = outcome.tally;
      point.dgamma = group_named(outcome.groups, "dgamma");
    }
    Worst& w = worst[task.kernel];
    if (outcome.failing && (!w.problem || outcome.score > w.score))
      w = {outcome.failing, outcome.failing_source, outcome.score};
  }

  // The worst failing case of each kernel, minimized (a few hundred evaluations) and saved
  // with the command that replays it from the report directory.
  parallel_for(kernels_.size(), threads, [&](std::size_t k) {
    if (!worst[k].problem) return;
    const auto started = Clock::now();
    // One task per kernel here: no kernel is called from two threads at once.
    const impls::BackwardKernelInfo& kernel = kernels_[k];
    IsolatedEvaluator evaluator(kernel, budgets_[k], options_.case_timeout, isolate_[k]);
    const auto first = evaluator.evaluate(*worst[k].problem).first_class();
    ref::BackwardProblem problem = *worst[k].problem;
    if (first) {
      ShrinkLimits limits;
      limits.max_evaluations = 300;
      problem = minimize_backward_problem(
                    problem, [&](const ref::BackwardProblem& c) { return evaluator.evaluate(c).has_class(*first); },
                    limits)
                    .problem;
    }
    const IsolatedOutcome saved = evaluator.evaluate(problem);
    Case c = backward_case(problem);
    c.kernel = kernel.kernel->name;
    c.expect = expected_verdict(kernel);
    c.note = fmt::format("normcheck report worst backward case of {}: {}", c.kernel, worst[k].source);
    WorstCase w;
    w.source = worst[k].source;
    w.file = fmt::format("cases/{}-backward-1.json", c.kernel);
    w.case_json = case_to_json(c);
    w.replay = report_replay_line(kernel, options_.out_dir / w.file, options_.budgets_file.value_or(std::filesystem::path()),
                                  options_.case_timeout);
    w.failed = !saved.violations().empty();
    w.score = saved.kind == IsolatedOutcome::Kind::evaluated ? saved.evaluation.max_score : 0;
    w.ulp_error = saved.kind == IsolatedOutcome::Kind::evaluated ? saved.evaluation.max_ulp_error : 0;
    CaseEvaluation as_judged = saved.evaluation;
    as_judged.violations = saved.violations();
    w.violation = first_violation(as_judged);
    std::lock_guard lock(mutex);
    reports[k].worst_cases.push_back(std::move(w));
    reports[k].seconds += std::chrono::duration<double>(Clock::now() - started).count();
  });
  return reports;
}

}  // namespace normcheck::harness::report
