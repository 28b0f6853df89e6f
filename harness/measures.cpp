// The error measures, one function each; docs/error-measures.md defines and explains them.
#include "harness/measures.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace normcheck::harness {

std::int64_t detail::ulp_distance_of_bits(ref::Format format, double actual, double expected) {
  if (std::isnan(actual) || std::isnan(expected)) {
    throw std::invalid_argument("ulp_distance: NaN has no place in the ordering");
  }
  const std::uint64_t sign_bit = std::uint64_t{1} << (ref::traits(format).bits - 1);
  return detail::pattern_distance(ref::to_bits(format, actual), ref::to_bits(format, expected), sign_bit);
}

// ulp of the correctly rounded value, so that a measure is the same for every exact value
// that rounds to the same output (ref::ulp caps an overflowed RN at max finite).
namespace {
double unit_of(ref::Format format, double exact) { return ref::ulp(format, ref::round_to_format(format, exact)); }
}  // namespace

double ulp_error(ref::Format format, double actual, double exact) {
  return ulp_error_in(unit_of(format, exact), actual, exact);
}

double signed_ulp_error(ref::Format format, double actual, double exact) {
  return signed_ulp_error_in(unit_of(format, exact), actual, exact);
}

double unit_roundoff(ref::Format compute) {
  return ref::exact_pow2(-ref::traits(compute).precision);
}

double error_score(ref::Format format, double actual, double exact, long double term_scale,
                   double compute_unit_roundoff) {
  return error_score_in(unit_of(format, exact), actual, exact, term_scale, compute_unit_roundoff);
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
