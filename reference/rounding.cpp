// Correct rounding of an exact sum of two doubles to a format (residual_out, rounded sums).
#include "reference/rounding.hpp"

namespace normcheck::ref {

namespace detail {

// Zeros and non-finite values are kept; subnormal-range values scale so that the quantum is
// 1, round to an integer and scale back (both scalings exact); values above the largest
// binade (f64 values the format overflows on) go to infinity.
double round_double_outside_normal(const FormatTraits& t, double value) {
  if (!std::isfinite(value) || value == 0.0) return value;
  const double magnitude = std::fabs(value);
  if (magnitude < pow2(t.emin)) {
    const int quantum = t.emin - t.precision + 1;
    return std::copysign(std::nearbyint(magnitude * pow2(-quantum)) * pow2(quantum), value);
  }
  return std::copysign(std::numeric_limits<double>::infinity(), value);  // at or above 2^(emax+1)
}

}  // namespace detail

double round_sum_to_format(Format format, double a, double b) {
  const FormatTraits& t = traits(format);
  const double sum = a + b;
  // f64 addition is itself correctly rounded; non-finite operands follow IEEE.
  if (format == Format::f64 || !std::isfinite(sum)) return sum;
  // TwoSum (Knuth): sum + error == a + b exactly.
  const double b_virtual = sum - a;
  const double error = (a - (sum - b_virtual)) + (b - b_virtual);
  if (error == 0.0 || sum == 0.0) return detail::round_double(t, sum);
  // sum is RN_f64(a + b), so no format midpoint (an f64 value) lies strictly between sum
  // and a + b: RN_format(sum) is right unless sum is itself a midpoint, where the sign of
  // the error breaks the tie that round_double would break to even.
  const double magnitude = std::fabs(sum);
  const int exponent = std::max(std::ilogb(magnitude), t.emin);
  const int quantum = exponent - t.precision + 1;
  const double scaled = magnitude * detail::pow2(-quantum);  // exact
  const double floor_scaled = std::floor(scaled);
  if (scaled - floor_scaled != 0.5) return detail::round_double(t, sum);
  const bool away_from_zero = (error > 0.0) == (sum > 0.0);
  double rounded = (floor_scaled + (away_from_zero ? 1.0 : 0.0)) * detail::pow2(quantum);
  if (rounded >= detail::pow2(t.emax + 1)) rounded = std::numeric_limits<double>::infinity();
  return std::copysign(rounded, sum);
}

}  // namespace normcheck::ref
