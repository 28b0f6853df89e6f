// Error versus n, versus |mean| / std and versus magnitude: rows drawn as
// offset + scale * N(0, 1) with typical gamma / beta, one task per sweep point.
#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "report/row_builders.hpp"
#include "report/stats.hpp"
#include "report/tasks.hpp"
#include "reference/format.hpp"

namespace normcheck::harness::report {

namespace {

constexpr double kDefaultEps = 1e-5;  // the usual framework default, rounded to f32
// Task ids: the sweep index in the high bits keeps every point's stream distinct.
constexpr std::uint64_t kSweepTaskBase = 0x100;

std::int64_t rows_for(const SweepSizes& sizes, std::int64_t n) {
  return std::max<std::int64_t>(1, sizes.elements_per_point / n);
}

TaskResult finish_point(Collector& collector, std::size_t sweep, SweepPoint point) {
  TaskResult result;
  result.kind = TaskResult::Kind::sweep_point;
  result.sweep = sweep;
  result.ulp_errors = collector.ulp_errors();
  result.scores = collector.scores();
  result.signed_errors = std::move(collector.signed_errors());
  std::vector<double> ulp = collector.ulp_errors(), score = collector.scores();
  point.ulp = summarize(ulp);
  point.score = summarize(score);
  point.tally = collector.tally();
  result.point = std::move(point);
  result.worst = std::move(collector.worst());
  return result;
}

double median(std::vector<double> values) {
  if (values.empty()) return std::nan("");
  auto mid = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), mid, values.end());
  return *mid;
}

// rows x n of offset + scale * N(0, 1), typical params; returns the problem.
ref::NormProblem normal_problem(const impls::KernelInfo& kernel, Rng& rng, std::int64_t rows, std::int64_t n,
                                double offset, double scale, double eps) {
  ref::NormProblem problem = blank_problem(kernel, rows, n, eps);
  for (std::int64_t r = 0; r < rows; ++r) append_normal_row(problem.x, rng, n, offset, scale, problem.x_format);
  add_typical_params(problem, rng);
  return problem;
}

}  // namespace

SweepSizes default_sizes() {
  SweepSizes s;
  for (std::int64_t n = 1; n <= 65536; n *= 2) s.n_values.push_back(n);
  for (int k = 0; k <= 8; ++k) s.mean_over_std.push_back(std::pow(10.0, k));
  s.magnitude_points = 16;
  s.elements_per_point = 1 << 15;
  s.sweep_n = 256;
  s.eps_rows = 16;
  s.eps_n = 64;
  return s;
}

SweepSizes quick_sizes() {
  SweepSizes s;
  for (std::int64_t n = 1; n <= 65536; n *= 16) s.n_values.push_back(n);
  for (int k = 0; k <= 8; k += 2) s.mean_over_std.push_back(std::pow(10.0, k));
  s.magnitude_points = 6;
  s.elements_per_point = 1 << 11;
  s.sweep_n = 64;
  s.eps_rows = 4;
  s.eps_n = 16;
  return s;
}

std::vector<Sweep> sweep_skeletons() {
  return {
      {"n", "Error versus row length n", "n", {}},
      {"mean_over_std", "Error versus |mean| / std (cancellation)", "|mean| / std", {}},
      {"magnitude", "Error versus magnitude (binade of the inputs)", "log2 |x| scale", {}},
  };
}

std::vector<Task> plan_sweeps(std::size_t kernel_index, KernelJudge& judge,
                              const SweepSizes& sizes, std::uint64_t seed) {
  std::vector<Task> tasks;
  const impls::KernelInfo& kernel = judge.kernel();
  const std::string name = kernel.kernel->name;
  const auto x_format = static_cast<ref::Format>(kernel.kernel->x_dtype);
  std::uint64_t id = kSweepTaskBase;

  // Error versus n: N(0.5, 1) rows, so |mean| / std = 0.5, the ordinary regime.
  for (std::int64_t n : sizes.n_values) {
    tasks.push_back({kernel_index, fmt::format("{} n={}", name, n),
                     [&judge, &kernel, sizes, seed, name, n, task = id++] {
                       Rng rng = task_rng(seed, name, task);
                       const std::int64_t rows = rows_for(sizes, n);
                       const double eps = f32_eps(kDefaultEps);
                       Collector collector(judge, true);
                       collector.evaluate(normal_problem(kernel, rng, rows, n, 0.5, 1.0, eps),
                                          fmt::format("sweep n={}", n));
                       SweepPoint point;
                       point.parameter = static_cast<double>(n);
                       point.rows = rows;
                       point.n = n;
                       point.eps = eps;
                       return finish_point(collector, 0, std::move(point));
                     }});
  }

  // Error versus |mean| / std: mean 1, std 1 / ratio, and eps scaled with the variance
  // (eps / var = 1e-5) so only the cancellation changes along the axis. Rounding to the
  // dtype caps the achievable ratio near 2^p: the achieved median is reported.
  for (double ratio : sizes.mean_over_std) {
    tasks.push_back({kernel_index, fmt::format("{} |mean|/std={:g}", name, ratio),
                     [&judge, &kernel, sizes, seed, name, ratio, task = id++] {
                       Rng rng = task_rng(seed, name, task);
                       const std::int64_t n = sizes.sweep_n, rows = rows_for(sizes, n);
                       const double scale = 1.0 / ratio;
                       const double eps = f32_eps(kDefaultEps * scale * scale);
                       ref::NormProblem problem = normal_problem(kernel, rng, rows, n, 1.0, scale, eps);
                       std::vector<double> achieved;
                       for (std::int64_t r = 0; r < rows; ++r)
                         achieved.push_back(mean_over_std(problem.x.data() + r * n, n));
                       Collector collector(judge, true);
                       collector.evaluate(problem, fmt::format("sweep |mean|/std={:g}", ratio));
                       SweepPoint point;
                       point.parameter = ratio;
                       point.achieved = median(achieved);
                       point.rows = rows;
                       point.n = n;
                       point.eps = eps;
                       return finish_point(collector, 1, std::move(point));
                     }});
  }

  // Error versus magnitude: 2^k * N(0.5, 1) for k from the smallest normal binade to
  // three binades below overflow; eps = 1e-5 * 4^k keeps eps / var fixed while that is a
  // normal f32 value, else 0 (documented in docs/reports.md).
  const auto& t = ref::traits(x_format);
  const int lo = t.emin, hi = t.emax - 3;
  const int points = std::max(2, sizes.magnitude_points);
  for (int i = 0; i < points; ++i) {
    const int k = lo + static_cast<int>(std::lround(static_cast<double>(hi - lo) * i / (points - 1)));
    tasks.push_back({kernel_index, fmt::format("{} magnitude=2^{}", name, k),
                     [&judge, &kernel, sizes, seed, name, k, task = id++] {
                       Rng rng = task_rng(seed, name, task);
                       const std::int64_t n = sizes.sweep_n, rows = rows_for(sizes, n);
                       const double scale = std::ldexp(1.0, k);
                       const double eps = f32_eps(kDefaultEps * scale * scale);
                       Collector collector(judge, true);
                       collector.evaluate(normal_problem(kernel, rng, rows, n, 0.5 * scale, scale, eps),
                                          fmt::format("sweep magnitude=2^{}", k));
                       SweepPoint point;
                       point.parameter = k;
                       point.rows = rows;
                       point.n = n;
                       point.eps = eps;
                       return finish_point(collector, 2, std::move(point));
                     }});
  }
  return tasks;
}

}  // namespace normcheck::harness::report
