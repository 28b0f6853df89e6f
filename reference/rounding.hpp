// Internal rounding primitives: RNE of a double (or of an exact double sum) to a format,
// and cheap powers of two. Inline because the oracle's fast path calls them per element.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "reference/format.hpp"

namespace normcheck::ref {

// RN_format(a + b) of the exact sum, with a single rounding (no double rounding through
// f64): used for residual_out and for the "rounded" fused residual sum.
double round_sum_to_format(Format format, double a, double b);

namespace detail {

inline double pow2(int k) { return exact_pow2(k); }

// 2^k as a long double; exact for |k| up to the long double exponent range.
inline long double pow2l(int k) {
  if (k >= -1022 && k <= 1023) return static_cast<long double>(pow2(k));
  return std::ldexp(1.0L, k);
}

// RNE of a double to the format described by t, subnormals and overflow included.
// Normal range: round the double's significand bits directly (the carry into the
// exponent field is exactly the binade change). Subnormal range: scale so the quantum
// is 1, round to an integer, scale back; both scalings are exact.
inline double round_double(const FormatTraits& t, double value) {
  if (t.precision == 53 || !std::isfinite(value) || value == 0.0) return value;
  const double magnitude = std::fabs(value);
  double rounded;
  if (magnitude < pow2(t.emin)) {
    const int quantum = t.emin - t.precision + 1;
    rounded = std::nearbyint(magnitude * pow2(-quantum)) * pow2(quantum);
  } else {
    const int dropped = 53 - t.precision;
    std::uint64_t bits = std::bit_cast<std::uint64_t>(magnitude);
    bits += (std::uint64_t{1} << (dropped - 1)) - 1 + ((bits >> dropped) & 1);
    bits &= ~((std::uint64_t{1} << dropped) - 1);
    rounded = std::bit_cast<double>(bits);
    if (rounded >= pow2(t.emax + 1)) rounded = std::numeric_limits<double>::infinity();
  }
  return std::copysign(rounded, value);
}

}  // namespace detail
}  // namespace normcheck::ref
