// The error measures, one function each; docs/error-measures.md defines and explains them.
#include "harness/measures.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace normcheck::harness {

std::int64_t ulp_distance(ref::Format format, double actual, double expected) {
  if (std::isnan(actual) || std::isnan(expected)) {
    throw std::invalid_argument("ulp_distance: NaN has no place in the ordering");
  }
  // Sign-magnitude bits: the magnitude field counts representable values upward from
  // zero (infinity is the one just past the largest finite value), so the ordinal
  // distance is a difference of magnitudes, or their sum across zero.
  const int bits = ref::traits(format).bits;
  const std::uint64_t sign_bit = std::uint64_t{1} << (bits - 1);
  const std::uint64_t a = ref::to_bits(format, actual);
  const std::uint64_t b = ref::to_bits(format, expected);
  const std::uint64_t mag_a = a & (sign_bit - 1);
  const std::uint64_t mag_b = b & (sign_bit - 1);
  const bool same_side = (a & sign_bit) == (b & sign_bit) || mag_a == 0 || mag_b == 0;
  const std::uint64_t distance = same_side ? (mag_a > mag_b ? mag_a - mag_b : mag_b - mag_a)
                                           : mag_a + mag_b;  // < 2^64 for every format
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(distance > kMax ? kMax : distance);
}

// ulp of the correctly rounded value, so that a measure is the same for every exact value
// that rounds to the same output (ref::ulp caps an overflowed RN at max finite).
namespace {
double unit_of(ref::Format format, double exact) { return ref::ulp(format, ref::round_to_format(format, exact)); }
}  // namespace

double ulp_error(ref::Format format, double actual, double exact) {
  return ulp_error_in(unit_of(format, exact), actual, exact);
}

double ulp_error_in(double unit, double actual, double exact) {
  if (std::isnan(actual)) return std::numeric_limits<double>::quiet_NaN();
  if (std::isinf(actual)) return std::numeric_limits<double>::infinity();
  return std::fabs(actual - exact) / unit;
}

double signed_ulp_error(ref::Format format, double actual, double exact) {
  return signed_ulp_error_in(unit_of(format, exact), actual, exact);
}

double signed_ulp_error_in(double unit, double actual, double exact) {
  if (std::isnan(actual) || std::isinf(actual)) return actual;
  return (actual - exact) / unit;
}

double unit_roundoff(ref::Format compute) {
  return ref::exact_pow2(-ref::traits(compute).precision);
}

// The scales multiply magnitudes from both ends of f64's range (a gamma of 2^-523 times a
// deviation of 2^-587 times an rstd of 2^593, or 2^986 times 30 times 2^50): they are formed
// and returned in long double, whose 15-bit exponent holds every such product.
long double term_scale(double gamma, double x, double mean, double rstd, double beta) {
  const long double normalized = (std::fabs(static_cast<long double>(x)) + std::fabs(mean)) * rstd;
  return std::fabs(static_cast<long double>(gamma)) * normalized + std::fabs(beta);
}

long double underflow_scale(ref::Format compute, double gamma, double rstd) {
  const long double lambda = ref::exact_pow2(ref::traits(compute).emin);  // emin >= -1022: a normal double
  return lambda * std::fabs(static_cast<long double>(gamma)) * (1 + static_cast<long double>(rstd));
}

double error_score(ref::Format format, double actual, double exact, long double term_scale,
                   double compute_unit_roundoff) {
  return error_score_in(unit_of(format, exact), actual, exact, term_scale, compute_unit_roundoff);
}

double error_score_in(double unit, double actual, double exact, long double term_scale,
                      double compute_unit_roundoff) {
  if (std::isnan(actual)) return std::numeric_limits<double>::quiet_NaN();
  if (std::isinf(actual)) return std::numeric_limits<double>::infinity();
  const long double error = std::fabs(static_cast<long double>(actual) - exact);
  return static_cast<double>(error / (unit + static_cast<long double>(compute_unit_roundoff) * term_scale));
}

SpecialMismatch special_mismatch(double actual, double expected) {
  if (std::isnan(expected)) return std::isnan(actual) ? SpecialMismatch::none : SpecialMismatch::number_for_nan;
  if (std::isnan(actual)) return SpecialMismatch::nan_for_number;
  if (std::isinf(expected)) {
    if (!std::isinf(actual)) return SpecialMismatch::finite_for_inf;
    return (actual > 0) == (expected > 0) ? SpecialMismatch::none : SpecialMismatch::wrong_sign_inf;
  }
  return std::isinf(actual) ? SpecialMismatch::inf_for_finite : SpecialMismatch::none;
}

std::string_view special_mismatch_name(SpecialMismatch mismatch) {
  switch (mismatch) {
    case SpecialMismatch::none:
      return "none";
    case SpecialMismatch::nan_for_number:
      return "nan-for-number";
    case SpecialMismatch::number_for_nan:
      return "number-for-nan";
    case SpecialMismatch::inf_for_finite:
      return "inf-for-finite";
    case SpecialMismatch::finite_for_inf:
      return "finite-for-inf";
    case SpecialMismatch::wrong_sign_inf:
      return "wrong-sign-inf";
  }
  return "invalid";
}

double kappa_eps(double gamma_times_z, double y, double eps, double var) {
  if (eps == 0) return 0;
  if (y == 0) return gamma_times_z == 0 ? 0 : std::numeric_limits<double>::infinity();
  return std::fabs(gamma_times_z) / std::fabs(y) * eps / (2 * (var + eps));
}

}  // namespace normcheck::harness
