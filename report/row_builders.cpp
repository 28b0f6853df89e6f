// Deterministic constructions of sweep rows from a seeded std::mt19937_64.
#include "report/row_builders.hpp"

#include <cmath>
#include <limits>
#include <numbers>

#include "reference/format.hpp"

namespace normcheck::harness::report {

namespace {
// FNV-1a: a hash that is the same on every platform, unlike std::hash.
std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t h = 0xcbf2'9ce4'8422'2325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x0000'0100'0000'01b3ULL;
  }
  return h;
}
}  // namespace

Rng task_rng(std::uint64_t seed, std::string_view kernel_name, std::uint64_t task_id) {
  const std::uint64_t k = fnv1a(kernel_name);
  std::seed_seq seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                    static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(k >> 32),
                    static_cast<std::uint32_t>(task_id), static_cast<std::uint32_t>(task_id >> 32)};
  return Rng(seq);
}

double uniform01(Rng& rng) { return static_cast<double>(rng() >> 11) * 0x1p-53; }

double standard_normal(Rng& rng) {
  const double u1 = 1.0 - uniform01(rng);  // (0, 1]: log stays finite
  const double u2 = uniform01(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

std::vector<double> standardized_normals(Rng& rng, std::int64_t n) {
  std::vector<double> z(static_cast<std::size_t>(n));
  for (double& v : z) v = standard_normal(rng);
  if (n < 2) return z;
  double mean = 0;
  for (double v : z) mean += v;
  mean /= static_cast<double>(n);
  double var = 0;
  for (double v : z) var += (v - mean) * (v - mean);
  const double inv_std = 1.0 / std::sqrt(var / static_cast<double>(n));
  for (double& v : z) v = (v - mean) * inv_std;
  return z;
}

ref::NormProblem blank_problem(const impls::KernelInfo& kernel, std::int64_t rows, std::int64_t n,
                               double eps) {
  ref::NormProblem p;
  p.op = static_cast<ref::Op>(kernel.kernel->op);
  p.x_format = static_cast<ref::Format>(kernel.kernel->x_dtype);
  p.param_format = static_cast<ref::Format>(kernel.kernel->param_dtype);
  p.y_format = static_cast<ref::Format>(kernel.kernel->y_dtype);
  p.rows = rows;
  p.n = n;
  p.eps = eps;
  p.x.reserve(static_cast<std::size_t>(rows * n));
  return p;
}

void append_normal_row(std::vector<double>& out, Rng& rng, std::int64_t n, double offset, double scale,
                       ref::Format format) {
  for (std::int64_t i = 0; i < n; ++i)
    out.push_back(ref::round_to_format(format, offset + scale * standard_normal(rng)));
}

void add_typical_params(ref::NormProblem& problem, Rng& rng) {
  const auto n = static_cast<std::size_t>(problem.n);
  problem.gamma.resize(n);
  for (double& g : problem.gamma)
    g = ref::round_to_format(problem.param_format, 1.0 + 0.25 * standard_normal(rng));
  if (problem.op != ref::Op::layernorm) return;
  problem.beta.resize(n);
  for (double& b : problem.beta) b = ref::round_to_format(problem.param_format, 0.1 * standard_normal(rng));
}

double f32_eps(double eps) {
  const double rounded = ref::round_to_format(ref::Format::f32, eps);
  if (!std::isfinite(rounded) || rounded < std::numeric_limits<float>::min()) return 0.0;
  return rounded;
}

double mean_over_std(const double* row, std::int64_t n) {
  double mean = 0;
  for (std::int64_t i = 0; i < n; ++i) mean += row[i];
  mean /= static_cast<double>(n);
  double var = 0;
  for (std::int64_t i = 0; i < n; ++i) var += (row[i] - mean) * (row[i] - mean);
  var /= static_cast<double>(n);
  return std::abs(mean) / std::sqrt(var);
}

}  // namespace normcheck::harness::report
