// Rows whose normalized input z holds a NaN or an infinity: IEEE arithmetic applied to the
// exact math (docs/error-measures.md, "Special values"), not a blanket NaN.
#pragma once

#include <cstdint>

#include "reference/exact_stats.hpp"
#include "reference/oracle.hpp"

namespace normcheck::ref::detail {

// Fills y, y_exact, mean and rstd of a row whose z = first (+ second) is not all finite:
// - a NaN in z: every output NaN (RMSNorm's mean stays 0, as in every RMSNorm row);
// - LayerNorm with infinities: mean is the infinity (NaN when both signs occur); every
//   deviation is infinite or NaN, so y and rstd are NaN;
// - RMSNorm with infinities: the mean square is +inf, rstd = 1/sqrt(inf) = +0; y_i of an
//   infinite z_i is inf * 0 = NaN, and of a finite z_i it is (+-0 * gamma_i) + beta_i, the
//   zero carrying z_i's sign (mean is 0, as for every RMSNorm row).
// gamma / beta are null when absent. The row is assumed non-finite (checked by the caller).
void solve_non_finite_row(const NormProblem& problem, const RowInput& row, const double* gamma,
                          const double* beta, double* y, double* y_exact, double& mean, double& rstd);

}  // namespace normcheck::ref::detail
