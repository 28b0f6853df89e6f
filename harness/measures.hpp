// The error measures, one documented function each (docs/error-measures.md).
#pragma once

#include <cstdint>
#include <string_view>

#include "reference/format.hpp"

namespace normcheck::harness {

// Sign-aware ordinal distance in the format between two non-NaN values (+0 and -0
// both map to ordinal 0; +-inf are the ordinals just past the largest finite value).
// 0 means identical (up to the sign of zero).
std::int64_t ulp_distance(ref::Format format, double actual, double expected);

// |actual - exact| / ulp(RN(exact)), with ulp as in ref::ulp. exact is the exact
// result (OracleResult::y_exact), finite. Infinite actual gives +inf.
double ulp_error(ref::Format format, double actual, double exact);

// (actual - exact) / ulp(RN(exact)): ulp_error with its sign, positive when the kernel's
// value lies above the exact one. The rounding-bias statistics (harness/signed_error.hpp)
// average it. NaN actual gives NaN, an infinite one that infinity.
double signed_ulp_error(ref::Format format, double actual, double exact);

// Unit roundoff u = 2^-p of a format used as a compute precision.
double unit_roundoff(ref::Format compute);

// A_i = |gamma| * (|x| + |mean|) * rstd + |beta|: the scale of the terms that meet in y.
// evaluate_case passes mean(|z|) of the row for `mean` (0 for RMSNorm): the scale of the
// mean's own sum, which bounds its rounding error where |mean| itself cancels
// (docs/error-measures.md, "Which mean").
// Formed and returned in long double: the factors span both ends of f64's range.
long double term_scale(double gamma, double x, double mean, double rstd, double beta);

// The underflow part of the score's scale: below the compute format's smallest normal
// lambda_c an intermediate carries absolute error up to u_c * lambda_c instead of a relative
// one; in x - mean it is scaled by rstd * gamma, in (x - mean) * rstd by gamma. Returns
// lambda_c * |gamma| * (1 + rstd), added to term_scale() by evaluate_case.
long double underflow_scale(ref::Format compute, double gamma, double rstd);

// Condition-aware score |actual - exact| / (ulp(RN(exact)) + u_c * A_i).
double error_score(ref::Format format, double actual, double exact, long double term_scale,
                   double compute_unit_roundoff);

// The three measures above with their unit given: unit = ulp(RN(exact)). The judge has
// RN(exact), the oracle's y, and computes the unit once per output instead of once per
// measure (check_outputs, harness/evaluate.cpp).
double ulp_error_in(double unit, double actual, double exact);
double signed_ulp_error_in(double unit, double actual, double exact);
double error_score_in(double unit, double actual, double exact, long double term_scale, double compute_unit_roundoff);

// Special values are compared class by class, never folded into a number.
enum class SpecialMismatch {
  none,
  nan_for_number,   // NaN where the exact result is a number (finite or inf)
  number_for_nan,   // a number where the exact result is NaN
  inf_for_finite,   // +-inf where the correctly rounded result is finite
  finite_for_inf,   // finite where the correctly rounded result is +-inf
  wrong_sign_inf,   // +inf for -inf or the reverse
};
// expected is the correctly rounded value (OracleResult::y).
SpecialMismatch special_mismatch(double actual, double expected);
std::string_view special_mismatch_name(SpecialMismatch mismatch);

// Epsilon sensitivity kappa_eps = |gamma * z| / |y| * eps / (2 (var + eps)), z the
// normalized value; 0 when eps is 0, inf when y is 0 and gamma * z is not.
double kappa_eps(double gamma_times_z, double y, double eps, double var);

}  // namespace normcheck::harness
