// The error measures, one documented function each (docs/error-measures.md).
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

#include "reference/format.hpp"

namespace normcheck::harness {

namespace detail {
// The distance between two sign-magnitude patterns of a format whose sign bit is sign_bit:
// the magnitude field counts representable values upward from zero (infinity is the one
// just past the largest finite value), so it is a difference of magnitudes, or their sum
// across zero.
inline std::int64_t pattern_distance(std::uint64_t a, std::uint64_t b, std::uint64_t sign_bit) {
  const std::uint64_t mag_a = a & (sign_bit - 1);
  const std::uint64_t mag_b = b & (sign_bit - 1);
  const bool same_side = (a & sign_bit) == (b & sign_bit) || mag_a == 0 || mag_b == 0;
  const std::uint64_t distance = same_side ? (mag_a > mag_b ? mag_a - mag_b : mag_b - mag_a)
                                           : mag_a + mag_b;  // < 2^64 for every format
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(distance > kMax ? kMax : distance);
}
// ulp_distance through ref::to_bits: every format; NaN is an error.
std::int64_t ulp_distance_of_bits(ref::Format format, double actual, double expected);
}  // namespace detail

// Sign-aware ordinal distance in the format between two non-NaN values (+0 and -0
// both map to ordinal 0; +-inf are the ordinals just past the largest finite value).
// 0 means identical (up to the sign of zero). Inline, as the judge asks for it per output:
// f64 and finite f32 values from their own bit patterns (a float holds every f32 value
// exactly), the rest through ref::to_bits (a NaN, which has no ordinal, is its error).
inline std::int64_t ulp_distance(ref::Format format, double actual, double expected) {
  if (format == ref::Format::f64 && !std::isnan(actual) && !std::isnan(expected)) {
    return detail::pattern_distance(std::bit_cast<std::uint64_t>(actual), std::bit_cast<std::uint64_t>(expected),
                                    std::uint64_t{1} << 63);
  }
  // Finite values within float's range only: converting any other double is undefined.
  constexpr double kMaxF32 = 0x1.fffffep127;
  if (format == ref::Format::f32 && std::fabs(actual) <= kMaxF32 && std::fabs(expected) <= kMaxF32) {
    const auto a = static_cast<float>(actual);
    const auto b = static_cast<float>(expected);
    if (static_cast<double>(a) == actual && static_cast<double>(b) == expected) {
      return detail::pattern_distance(std::bit_cast<std::uint32_t>(a), std::bit_cast<std::uint32_t>(b),
                                      std::uint64_t{1} << 31);
    }
  }
  return detail::ulp_distance_of_bits(format, actual, expected);
}

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
// Formed and returned in long double: the factors span both ends of f64's range (a gamma
// of 2^-523 times a deviation of 2^-587 times an rstd of 2^593, or 2^986 times 30 times
// 2^50); long double's 15-bit exponent holds every such product.
inline long double term_scale(double gamma, double x, double mean, double rstd, double beta) {
  const long double normalized = (std::fabs(static_cast<long double>(x)) + std::fabs(mean)) * rstd;
  return std::fabs(static_cast<long double>(gamma)) * normalized + std::fabs(beta);
}

// The underflow part of the score's scale: below the compute format's smallest normal
// lambda_c an intermediate carries absolute error up to u_c * lambda_c instead of a relative
// one; in x - mean it is scaled by rstd * gamma, in (x - mean) * rstd by gamma. Returns
// lambda_c * |gamma| * (1 + rstd), added to term_scale() by evaluate_case.
inline long double underflow_scale(ref::Format compute, double gamma, double rstd) {
  const long double lambda = ref::exact_pow2(ref::traits(compute).emin);  // emin >= -1022: a normal double
  return lambda * std::fabs(static_cast<long double>(gamma)) * (1 + static_cast<long double>(rstd));
}

// Condition-aware score |actual - exact| / (ulp(RN(exact)) + u_c * A_i).
double error_score(ref::Format format, double actual, double exact, long double term_scale,
                   double compute_unit_roundoff);

// The three measures above with their unit given: unit = ulp(RN(exact)). The judge has
// RN(exact), the oracle's y, and computes the unit once per output instead of once per
// measure (check_outputs, harness/evaluate.cpp).
// Inline: the judge calls them for every output.
inline double ulp_error_in(double unit, double actual, double exact) {
  if (std::isnan(actual)) return std::numeric_limits<double>::quiet_NaN();
  if (std::isinf(actual)) return std::numeric_limits<double>::infinity();
  return std::fabs(actual - exact) / unit;
}
inline double signed_ulp_error_in(double unit, double actual, double exact) {
  if (std::isnan(actual) || std::isinf(actual)) return actual;
  return (actual - exact) / unit;
}
inline double error_score_in(double unit, double actual, double exact, long double term_scale,
                             double compute_unit_roundoff) {
  if (std::isnan(actual)) return std::numeric_limits<double>::quiet_NaN();
  if (std::isinf(actual)) return std::numeric_limits<double>::infinity();
  const long double error = std::fabs(static_cast<long double>(actual) - exact);
  return static_cast<double>(error / (unit + static_cast<long double>(compute_unit_roundoff) * term_scale));
}

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
inline SpecialMismatch special_mismatch(double actual, double expected) {
  if (std::isnan(expected)) return std::isnan(actual) ? SpecialMismatch::none : SpecialMismatch::number_for_nan;
  if (std::isnan(actual)) return SpecialMismatch::nan_for_number;
  if (std::isinf(expected)) {
    if (!std::isinf(actual)) return SpecialMismatch::finite_for_inf;
    return (actual > 0) == (expected > 0) ? SpecialMismatch::none : SpecialMismatch::wrong_sign_inf;
  }
  return std::isinf(actual) ? SpecialMismatch::inf_for_finite : SpecialMismatch::none;
}
std::string_view special_mismatch_name(SpecialMismatch mismatch);

// Epsilon sensitivity kappa_eps = |gamma * z| / |y| * eps / (2 (var + eps)), z the
// normalized value; 0 when eps is 0, inf when y is 0 and gamma * z is not.
double kappa_eps(double gamma_times_z, double y, double eps, double var);

}  // namespace normcheck::harness
