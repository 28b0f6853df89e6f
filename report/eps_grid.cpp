// The epsilon-sensitivity grid: eps x var/eps, each cell rows of known variance
// var = (var/eps) * eps, judged by evaluate_case, with the largest kappa_eps.
#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "harness/kernel_shape.hpp"
#include "harness/measures.hpp"
#include "report/row_builders.hpp"
#include "report/tasks.hpp"

namespace normcheck::harness::report {

namespace {

constexpr std::uint64_t kEpsTaskBase = 0x1000;

// Variance (LayerNorm) or mean square (RMSNorm) of a row in double, for labelling.
double row_spread(ref::Op op, const double* row, std::int64_t n) {
  double mean = 0;
  if (op == ref::Op::layernorm) {
    for (std::int64_t i = 0; i < n; ++i) mean += row[i];
    mean /= static_cast<double>(n);
  }
  double sum = 0;
  for (std::int64_t i = 0; i < n; ++i) sum += (row[i] - mean) * (row[i] - mean);
  return sum / static_cast<double>(n);
}

// Rows whose variance (LayerNorm) or mean square (RMSNorm) is target_var: LayerNorm
// s * (z + 1), mean s and std s; RMSNorm s * z, mean square s^2. Zero variance is the
// constant row 1 (LayerNorm) or the zero row (RMSNorm).
ref::NormProblem grid_problem(const impls::KernelInfo& kernel, Rng& rng, std::int64_t rows, std::int64_t n,
                              double eps, double target_var) {
  ref::NormProblem problem = blank_problem(kernel, rows, n, eps);
  const double s = std::sqrt(target_var);
  const double offset = problem.op == ref::Op::layernorm ? 1.0 : 0.0;
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::vector<double> z = standardized_normals(rng, n);
    for (double v : z) {
      const double value = target_var == 0 ? offset : s * (v + offset);
      problem.x.push_back(ref::round_to_format(problem.x_format, value));
    }
  }
  add_typical_params(problem, rng);
  return problem;
}

// max over finite outputs of kappa_eps, from the oracle on the problem the kernel sees.
double max_kappa_eps(const impls::KernelInfo& kernel, const ref::NormProblem& problem) {
  const ref::NormProblem adapted = adapt_problem(*kernel.kernel, problem);
  const ref::OracleResult oracle = ref::compute_oracle(adapted);
  double worst = 0;
  const auto n = static_cast<std::size_t>(adapted.n);
  for (std::size_t r = 0; r < static_cast<std::size_t>(adapted.rows); ++r) {
    const double rstd = oracle.rstd[r];
    if (!std::isfinite(rstd) || rstd == 0) continue;
    const double var = 1.0 / (rstd * rstd) - adapted.eps;
    for (std::size_t i = 0; i < n; ++i) {
      const double y = oracle.y_exact[r * n + i];
      if (!std::isfinite(y)) continue;
      const double gamma = adapted.gamma.empty() ? 1.0 : adapted.gamma[i];
      const double z = (adapted.x[r * n + i] - oracle.mean[r]) * rstd;
      const double k = kappa_eps(gamma * z, y, adapted.eps, var);
      if (!std::isnan(k)) worst = std::max(worst, k);
    }
  }
  return worst;
}

}  // namespace

const std::vector<double>& eps_values() {
  static const std::vector<double> values = {0, 1e-12, 1e-8, 1e-6, 1e-5, 1e-3, 1e-1};
  return values;
}

const std::vector<double>& var_over_eps_values() {
  static const std::vector<double> values = {0, 1e-4, 1e-2, 1, 1e2, 1e4};
  return values;
}

std::vector<Task> plan_eps_grid(std::size_t kernel_index, KernelJudge& judge,
                                const SweepSizes& sizes, std::uint64_t seed) {
  std::vector<Task> tasks;
  const impls::KernelInfo& kernel = judge.kernel();
  const std::string name = kernel.kernel->name;
  std::uint64_t id = kEpsTaskBase;
  for (double nominal_eps : eps_values()) {
    for (double ratio : var_over_eps_values()) {
      tasks.push_back({kernel_index, fmt::format("{} eps={:g} var/eps={:g}", name, nominal_eps, ratio),
                       [&judge, &kernel, sizes, seed, name, nominal_eps, ratio, task = id++] {
                         Rng rng = task_rng(seed, name, task);
                         // eps as an exact f32 value (the default eps regime, docs/oracle.md). With
                         // eps = 0 the column is the variance itself (a unit reference scale).
                         const double eps = nominal_eps == 0 ? 0.0 : f32_eps(nominal_eps);
                         const double target_var = eps == 0 ? ratio : ratio * eps;
                         ref::NormProblem problem =
                             grid_problem(kernel, rng, sizes.eps_rows, sizes.eps_n, eps, target_var);
                         std::vector<double> achieved;
                         for (std::int64_t r = 0; r < problem.rows; ++r) {
                           const double v = row_spread(problem.op, problem.x.data() + r * problem.n, problem.n);
                           achieved.push_back(eps == 0 ? v : v / eps);
                         }
                         std::sort(achieved.begin(), achieved.end());
                         EpsCell cell;
                         cell.eps = eps;
                         cell.var_over_eps = ratio;
                         cell.achieved = achieved[achieved.size() / 2];
                         cell.representable = ratio == 0 ? *cell.achieved == 0
                                                         : *cell.achieved >= ratio / 2 && *cell.achieved <= ratio * 2;
                         cell.kappa_eps_max = max_kappa_eps(kernel, problem);
                         Collector collector(judge, false);
                         collector.evaluate(problem, fmt::format("eps grid eps={:g} var/eps={:g}", eps, ratio));
                         cell.tally = collector.tally();
                         TaskResult result;
                         result.kind = TaskResult::Kind::eps_cell;
                         result.cell = cell;
                         result.worst = std::move(collector.worst());
                         return result;
                       }});
    }
  }
  return tasks;
}

}  // namespace normcheck::harness::report
