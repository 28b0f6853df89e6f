// IEEE semantics on the exact math for rows holding infinities or NaNs (non_finite_rows.hpp).
#include "reference/non_finite_rows.hpp"

#include <cmath>
#include <limits>

#include "reference/format.hpp"

namespace normcheck::ref::detail {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// z_i exactly where it matters here: NaN, +-inf, or (for a finite exact sum) a value with
// the sign of the exact sum. Two finite doubles have a finite exact sum even where their
// double sum overflows, and the overflowed sum keeps the sign; only its class is used.
double element(const RowInput& row, std::int64_t i) {
  const double a = row.first[i];
  if (row.second == nullptr) return a;
  const double b = row.second[i];
  if (std::isfinite(a) && std::isfinite(b)) {
    const double s = a + b;
    return std::isfinite(s) ? s : std::copysign(std::numeric_limits<double>::max(), s);
  }
  return a + b;  // inf + -inf is NaN, inf + finite is inf: the exact sum's IEEE value
}

}  // namespace

void solve_non_finite_row(const NormProblem& problem, const RowInput& row, const double* gamma,
                          const double* beta, double* y, double* y_exact, double& mean, double& rstd) {
  const std::int64_t n = row.n;
  bool any_nan = false;
  bool pos_inf = false;
  bool neg_inf = false;
  for (std::int64_t i = 0; i < n; ++i) {
    const double z = element(row, i);
    any_nan |= std::isnan(z);
    pos_inf |= z == kInf;
    neg_inf |= z == -kInf;
  }
  const auto fill_nan = [&] {
    for (std::int64_t i = 0; i < n; ++i) y[i] = y_exact[i] = kNaN;
  };
  if (any_nan) {
    fill_nan();
    mean = problem.op == Op::rmsnorm ? 0.0 : kNaN;  // RMSNorm has no mean: 0 in every row
    rstd = kNaN;
    return;
  }
  if (problem.op == Op::layernorm) {
    fill_nan();
    mean = pos_inf && neg_inf ? kNaN : (pos_inf ? kInf : -kInf);
    rstd = kNaN;
    return;
  }
  mean = 0.0;
  rstd = 0.0;  // 1 / sqrt(+inf)
  for (std::int64_t i = 0; i < n; ++i) {
    const double z = element(row, i);
    // IEEE products and sums of the exact values: inf * 0 and 0 * inf are NaN, the zero's
    // sign is the product of signs, and 0 + beta is beta (a sum of zeros by IEEE's rule).
    double value = z * 0.0;
    if (gamma != nullptr) value *= gamma[i];
    if (beta != nullptr) value += beta[i];
    y_exact[i] = value;
    y[i] = round_to_format(problem.y_format, value);
  }
}

}  // namespace normcheck::ref::detail
