// The boundary rules for special values (see special_value_policy.hpp).
#include "harness/special_value_policy.hpp"

#include <cmath>
#include <limits>

namespace normcheck::harness {

double overflow_threshold(ref::Format format) {
  const ref::FormatTraits& t = ref::traits(format);
  if (format == ref::Format::f64) return std::numeric_limits<double>::max();
  return std::ldexp(2.0 - std::ldexp(1.0, -t.precision), t.emax);
}

bool overflow_within_budget(SpecialMismatch mismatch, ref::Format format, double got, double exact,
                            long double scale, double u_c, double limit) {
  if (!std::isfinite(exact)) return false;
  if (mismatch == SpecialMismatch::inf_for_finite || mismatch == SpecialMismatch::wrong_sign_inf) {
    const double edge = std::copysign(overflow_threshold(format), got);
    return error_score(format, edge, exact, scale, u_c) <= limit;
  }
  if (mismatch == SpecialMismatch::finite_for_inf) {
    return error_score(format, got, exact, scale, u_c) <= limit;
  }
  return false;
}

bool infinite_gamma_indeterminate(double gamma, double z, double mean, double mean_scale, double rstd,
                                  double u_c, double limit, ref::Format compute) {
  if (!std::isinf(gamma)) return false;
  const double t = (z - mean) * rstd;
  const long double t_error = limit * u_c * (term_scale(1.0, z, mean_scale, rstd, 0.0) + underflow_scale(compute, 1.0, rstd));
  return std::fabs(t) <= t_error;
}

}  // namespace normcheck::harness
