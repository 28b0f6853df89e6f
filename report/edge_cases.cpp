// The edge-case matrix: hand-built problems for the regimes where normalization
// kernels break (zero variance, overflow, underflow, odd widths, special values,
// parameters, the fused residual), each judged by evaluate_case.
#include <cmath>
#include <fmt/format.h>
#include <limits>

#include "report/row_builders.hpp"
#include "report/tasks.hpp"
#include "reference/format.hpp"

namespace normcheck::harness::report {

namespace {

constexpr std::uint64_t kEdgeTaskBase = 0x10000;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

struct EdgeSpec {
  std::string id;
  std::string title;
  bool fused_only = false;
  // Builds the problems for a kernel; the collector judges each.
  std::function<std::vector<ref::NormProblem>(const impls::KernelInfo&, Rng&)> build;
};

double round_x(const ref::NormProblem& p, double v) { return ref::round_to_format(p.x_format, v); }
double eps_default() { return f32_eps(1e-5); }

ref::NormProblem normal_rows(const impls::KernelInfo& k, Rng& rng, std::int64_t rows, std::int64_t n, double eps) {
  ref::NormProblem p = blank_problem(k, rows, n, eps);
  for (std::int64_t r = 0; r < rows; ++r) append_normal_row(p.x, rng, n, 0.5, 1.0, p.x_format);
  add_typical_params(p, rng);
  return p;
}

std::vector<ref::NormProblem> zero_variance(const impls::KernelInfo& k, Rng& rng) {
  // Constant rows: LayerNorm must return exactly beta. For RMSNorm the zero row is the
  // zero-variance analogue (mean square 0) and must return exactly 0 (+ beta).
  ref::NormProblem p = blank_problem(k, 4, 64, eps_default());
  const auto& t = ref::traits(p.x_format);
  const double constants[] = {1.0, -3.25, std::ldexp(1.0, t.emax - 1), std::ldexp(1.0, t.emin)};
  for (double c : constants)
    for (std::int64_t i = 0; i < p.n; ++i) p.x.push_back(p.op == ref::Op::layernorm ? round_x(p, c) : 0.0);
  add_typical_params(p, rng);
  return {p};
}

std::vector<ref::NormProblem> near_zero_variance(const impls::KernelInfo& k, Rng& rng) {
  // A constant row with a few elements one ulp away: var is a handful of ulp^2, and
  // with eps = 0 the output is +-O(1) values built from that tiny spread.
  std::vector<ref::NormProblem> problems;
  for (double eps : {0.0, eps_default()}) {
    ref::NormProblem p = blank_problem(k, 4, 64, eps);
    for (double c : {1.0, 1.5, -7.0, 1000.0}) {
      const double base = round_x(p, c);
      for (std::int64_t i = 0; i < p.n; ++i) {
        const std::uint64_t pick = rng() % 16;
        p.x.push_back(pick == 0 ? ref::next_up(p.x_format, base) : pick == 1 ? ref::next_down(p.x_format, base) : base);
      }
    }
    add_typical_params(p, rng);
    problems.push_back(std::move(p));
  }
  return problems;
}

std::vector<ref::NormProblem> huge_magnitudes(const impls::KernelInfo& k, Rng& rng) {
  // Elements in the top binades: x^2 and sum(x) overflow in the input format.
  ref::NormProblem p = blank_problem(k, 4, 64, eps_default());
  const int emax = ref::traits(p.x_format).emax;
  for (std::int64_t r = 0; r < p.rows; ++r)
    for (std::int64_t i = 0; i < p.n; ++i) {
      // Even rows: random signs (mean near 0); odd rows: one sign (a huge mean).
      const double sign = r % 2 == 0 && (rng() & 1) != 0 ? -1.0 : 1.0;
      p.x.push_back(round_x(p, std::ldexp(sign * (1.0 + 0.9 * uniform01(rng)), emax - 1)));
    }
  add_typical_params(p, rng);
  return {p};
}

std::vector<ref::NormProblem> tiny_subnormal(const impls::KernelInfo& k, Rng& rng) {
  // Subnormal and barely normal elements: x^2 underflows; eps = 0 so eps does not mask it.
  std::vector<ref::NormProblem> problems;
  for (double eps : {0.0, eps_default()}) {
    ref::NormProblem p = blank_problem(k, 4, 64, eps);
    const int emin = ref::traits(p.x_format).emin;
    for (std::int64_t r = 0; r < p.rows; ++r)
      for (std::int64_t i = 0; i < p.n; ++i) {
        const double magnitude = std::ldexp(uniform01(rng) * (r == 3 ? 4.0 : 1.0), emin);
        p.x.push_back(round_x(p, (rng() & 1) != 0 ? -magnitude : magnitude));
      }
    add_typical_params(p, rng);
    problems.push_back(std::move(p));
  }
  return problems;
}

std::vector<ref::NormProblem> n_equals_one(const impls::KernelInfo& k, Rng& rng) {
  // n = 1: var = 0, so LayerNorm gives beta with eps > 0 and NaN with eps = 0.
  return {normal_rows(k, rng, 8, 1, eps_default()), normal_rows(k, rng, 8, 1, 0.0)};
}

std::vector<ref::NormProblem> odd_n(const impls::KernelInfo& k, Rng& rng) {
  // Widths that leave a tail after any vector width.
  std::vector<ref::NormProblem> problems;
  for (std::int64_t n : {3, 7, 33, 255, 1023}) problems.push_back(normal_rows(k, rng, 4, n, eps_default()));
  return problems;
}

std::vector<ref::NormProblem> nan_inf(const impls::KernelInfo& k, Rng& rng) {
  // A NaN / inf in a row poisons only that row; in gamma / beta only that column.
  ref::NormProblem rows_case = normal_rows(k, rng, 6, 32, eps_default());
  const auto at = [&](std::int64_t row) { return static_cast<std::size_t>(row * 32 + static_cast<std::int64_t>(rng() % 32)); };
  rows_case.x[at(1)] = kNaN;
  rows_case.x[at(3)] = kInf;
  rows_case.x[at(4)] = -kInf;
  ref::NormProblem params_case = normal_rows(k, rng, 4, 32, eps_default());
  params_case.gamma[5] = kInf;
  params_case.gamma[9] = kNaN;
  if (!params_case.beta.empty()) params_case.beta[17] = -kInf;
  return {rows_case, params_case};
}

std::vector<ref::NormProblem> gamma_beta(const impls::KernelInfo& k, Rng& rng) {
  std::vector<ref::NormProblem> problems;
  ref::NormProblem plain = normal_rows(k, rng, 4, 64, eps_default());
  plain.gamma.clear();
  plain.beta.clear();
  problems.push_back(plain);  // neither: ones and zeros
  ref::NormProblem gamma_only = normal_rows(k, rng, 4, 64, eps_default());
  gamma_only.beta.clear();
  problems.push_back(gamma_only);
  ref::NormProblem extreme = normal_rows(k, rng, 4, 64, eps_default());
  for (std::size_t i = 0; i < extreme.gamma.size(); ++i) {
    // Zeros, negatives and large gammas; betas that cancel the normalized term.
    const double g[] = {0.0, -1.0, 1024.0, -0.0009765625};
    extreme.gamma[i] = ref::round_to_format(extreme.param_format, g[i % 4]);
  }
  for (double& b : extreme.beta) b = ref::round_to_format(extreme.param_format, 1000.0);
  problems.push_back(extreme);
  if (k.kernel->op == NORMCHECK_LAYERNORM) {
    ref::NormProblem beta_only = normal_rows(k, rng, 4, 64, eps_default());
    beta_only.gamma.clear();
    problems.push_back(beta_only);
  }
  return problems;
}

std::vector<ref::NormProblem> fused_residual(const impls::KernelInfo& k, Rng& rng) {
  // z = x + residual: an ordinary residual, and one that nearly cancels x.
  std::vector<ref::NormProblem> problems;
  for (bool cancel : {false, true}) {
    ref::NormProblem p = normal_rows(k, rng, 4, 64, eps_default());
    for (double xv : p.x) {
      const double noise = standard_normal(rng);
      p.residual.push_back(round_x(p, cancel ? -xv + 1e-3 * noise : noise));
    }
    problems.push_back(std::move(p));
  }
  return problems;
}

const std::vector<EdgeSpec>& edge_specs() {
  static const std::vector<EdgeSpec> specs = {
      {"zero_variance", "zero variance (constant rows; zero rows for RMSNorm)", false, zero_variance},
      {"near_zero_variance", "near-zero variance (one-ulp spread, eps = 0 and 1e-5)", false, near_zero_variance},
      {"huge_magnitude", "huge magnitudes (top binade, x^2 overflows)", false, huge_magnitudes},
      {"tiny_subnormal", "tiny and subnormal inputs", false, tiny_subnormal},
      {"n_equals_1", "n = 1", false, n_equals_one},
      {"odd_n", "odd n (3, 7, 33, 255, 1023)", false, odd_n},
      {"nan_inf", "NaN / Inf in x, gamma and beta", false, nan_inf},
      {"gamma_beta", "gamma / beta variants (absent, zero, negative, large)", false, gamma_beta},
      {"fused_residual", "fused residual (ordinary and cancelling)", true, fused_residual},
  };
  return specs;
}

}  // namespace

std::vector<Task> plan_edge_cases(std::size_t kernel_index, KernelJudge& judge,
                                  std::uint64_t seed) {
  std::vector<Task> tasks;
  const impls::KernelInfo& kernel = judge.kernel();
  const std::string name = kernel.kernel->name;
  std::uint64_t id = kEdgeTaskBase;
  const bool fused = (kernel.kernel->flags & NORMCHECK_FUSED_RESIDUAL) != 0;
  for (const EdgeSpec& spec : edge_specs()) {
    tasks.push_back({kernel_index, fmt::format("{} {}", name, spec.id),
                     [&judge, &kernel, &spec, seed, name, fused, task = id++] {
                       TaskResult result;
                       result.kind = TaskResult::Kind::edge_case;
                       result.edge.id = spec.id;
                       result.edge.title = spec.title;
                       if (spec.fused_only && !fused) {
                         result.edge.verdict = Verdict::not_applicable;
                         return result;
                       }
                       Rng rng = task_rng(seed, name, task);
                       Collector collector(judge, false);
                       for (const ref::NormProblem& problem : spec.build(kernel, rng))
                         collector.evaluate(problem, "edge " + spec.id);
                       result.edge.tally = collector.tally();
                       result.edge.verdict = collector.tally().verdict();
                       result.worst = std::move(collector.worst());
                       return result;
                     }});
  }
  return tasks;
}

}  // namespace normcheck::harness::report
