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

// 2^k as a double (ref::exact_pow2: from its bit pattern in the normal range).
inline double pow2(int k) { return exact_pow2(k); }

// 2^k as a long double; exact for |k| up to the long double exponent range.
inline long double pow2l(int k) {
  if (k >= -1022 && k <= 1023) return static_cast<long double>(pow2(k));
  return std::ldexp(1.0L, k);
}

// round_double outside the format's normal range (zeros, subnormals, overflow, non-finite):
// out of line, so that the common case below stays small enough to inline at -O2.
double round_double_outside_normal(const FormatTraits& t, double value);

// RNE of a double to the format described by t, subnormals and overflow included.
// Normal range: round the double's significand bits directly (the carry into the
// exponent field is exactly the binade change); one predictable branch, and the carry stops
// below the sign bit (the field is at most emax + 1024 <= 0x7ff). Elsewhere see
// round_double_outside_normal.
inline double round_double(const FormatTraits& t, double value) {
  if (t.precision == 53) return value;
  const auto bits = std::bit_cast<std::uint64_t>(value);
  const std::uint64_t field = (bits >> 52) & 0x7ff;
  if (field - static_cast<std::uint64_t>(t.emin + 1023) >
      static_cast<std::uint64_t>(t.emax - t.emin)) {
    return round_double_outside_normal(t, value);
  }
  const int dropped = 53 - t.precision;
  std::uint64_t rounded = bits + (std::uint64_t{1} << (dropped - 1)) - 1 + ((bits >> dropped) & 1);
  rounded &= ~((std::uint64_t{1} << dropped) - 1);
  if (((rounded >> 52) & 0x7ff) > static_cast<std::uint64_t>(t.emax + 1023)) {
    return std::copysign(std::numeric_limits<double>::infinity(), value);
  }
  return std::bit_cast<double>(rounded);
}

}  // namespace detail
}  // namespace normcheck::ref
