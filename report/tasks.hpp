// The report's work, cut into independent tasks (a sweep point, an eps-grid cell, an
// edge case) that the runner spreads over threads. Each task draws its rows from its
// own seeded stream, so results do not depend on the thread count or the schedule.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness/budget.hpp"
#include "harness/kernel_judge.hpp"
#include "report/collector.hpp"
#include "report/report_model.hpp"
#include "impls/registry.hpp"

namespace normcheck::harness::report {

// How much each sweep evaluates; --quick shrinks everything for CI.
struct SweepSizes {
  std::vector<std::int64_t> n_values;       // error versus n
  std::vector<double> mean_over_std;        // error versus |mean| / std
  int magnitude_points = 0;                 // binades sampled across the dtype's range
  std::int64_t elements_per_point = 0;      // rows * n per sweep point (at least one row)
  std::int64_t sweep_n = 0;                 // n of the |mean|/std and magnitude sweeps
  std::int64_t eps_rows = 0, eps_n = 0;     // per eps-grid cell
};
SweepSizes default_sizes();
SweepSizes quick_sizes();

// The eps-sensitivity grid's axes.
const std::vector<double>& eps_values();
const std::vector<double>& var_over_eps_values();

struct TaskResult {
  enum class Kind { sweep_point, eps_cell, edge_case } kind = Kind::sweep_point;
  std::size_t sweep = 0;  // Kind::sweep_point: index into sweep_skeletons()
  std::size_t order = 0;  // position in the plan: restores the report's order after threads
  SweepPoint point;
  EpsCell cell;
  EdgeCase edge;
  std::vector<double> ulp_errors, scores;  // sweep points only
  std::vector<SignedErrorTally> signed_errors;  // sweep points only, one per problem
  std::optional<WorstProblem> worst;
};

struct Task {
  std::size_t kernel = 0;  // index into the report's kernel list
  std::string label;       // for the progress line
  std::function<TaskResult()> run;
};

// The three sweeps, without points (ids, titles, axis labels), in report order.
std::vector<Sweep> sweep_skeletons();

// Tasks for one kernel. The judge must outlive the tasks.
std::vector<Task> plan_sweeps(std::size_t kernel_index, KernelJudge& judge, const SweepSizes& sizes, std::uint64_t seed);
std::vector<Task> plan_eps_grid(std::size_t kernel_index, KernelJudge& judge, const SweepSizes& sizes, std::uint64_t seed);
std::vector<Task> plan_edge_cases(std::size_t kernel_index, KernelJudge& judge, std::uint64_t seed);

}  // namespace normcheck::harness::report
