// The oracle's fast path: Ziv's test in long double. Given y_hat with |y_hat - y| <= err,
// RN_format(y) is certified when [y_hat - err, y_hat + err] lies strictly between the two
// midpoints around the candidate RN_format(y_hat) (docs/oracle.md derives err).
#pragma once

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>

#include "reference/format.hpp"
#include "reference/rounding.hpp"

namespace normcheck::ref::detail {

// Midpoints of f64 need 54 bits and the exact path's scaled values reach ~2^±4400, so the
// bound in docs/oracle.md needs an extended long double (x87 80-bit or IEEE quad).
static_assert(LDBL_MANT_DIG >= 64 && LDBL_MAX_EXP >= 16384,
              "the oracle's fast path needs a long double with >= 64 bits and a 15-bit exponent");

// Unit roundoff of long double (round to nearest).
inline constexpr long double kLongDoubleUnit = LDBL_EPSILON / 2;  // 2^-64 on x87

// The general test, for candidates that are zero, infinite, NaN or f64 subnormals. The
// comparisons are exact: every midpoint is a long double, and lo = fl(y_hat - err) > m
// implies y_hat - err > m because rounding is monotonic.
inline bool certify_rounding_general(const FormatTraits& t, long double y_hat, long double err, double& rounded) {
  const long double lo = y_hat - err;
  const long double hi = y_hat + err;
  const double candidate = round_double(t, static_cast<double>(y_hat));
  if (std::isinf(candidate)) {
    const long double threshold = pow2l(t.emax + 1) - pow2l(t.emax - t.precision);  // max + ulp/2
    if (candidate > 0 ? lo > threshold : hi < -threshold) {
      rounded = candidate;
      return true;
    }
    return false;
  }
  if (candidate == 0.0) {
    const long double half_min_subnormal = pow2l(t.emin - t.precision);
    if (lo <= -half_min_subnormal || hi >= half_min_subnormal) return false;
    if (lo > 0.0L) rounded = 0.0;
    else if (hi < 0.0L) rounded = -0.0;
    else return false;  // the sign of the zero needs the exact sign of y
    return true;
  }
  if (!(candidate == candidate)) return false;
  const auto bits = std::bit_cast<std::uint64_t>(candidate);
  const int field = static_cast<int>((bits >> 52) & 0x7ff);
  const int exponent = field == 0 ? std::ilogb(candidate) : field - 1023;
  const int quantum = (exponent > t.emin ? exponent : t.emin) - t.precision + 1;
  const long double half_gap_away = pow2l(quantum - 1);
  // Below a power of two (above the subnormal range) the gap towards zero is halved.
  const bool binade_start = field != 0 && (bits & ((std::uint64_t{1} << 52) - 1)) == 0 && exponent > t.emin;
  const long double half_gap_toward = binade_start ? pow2l(quantum - 2) : half_gap_away;
  const long double c = candidate;
  const long double m_lo = candidate > 0 ? c - half_gap_toward : c - half_gap_away;
  const long double m_hi = candidate > 0 ? c + half_gap_away : c + half_gap_toward;
  if (lo > m_lo && hi < m_hi) {
    rounded = candidate;
    return true;
  }
  return false;
}

// Returns true and sets rounded when [y_hat - err, y_hat + err] certifies RN_format(y).
// Common case: a normal f64 candidate c. y_hat - c is exact in long double (Sterbenz: c is
// within a factor 2 of y_hat), so the single rounding in fl(|y_hat - c| + err) < half_gap is
// monotonic and the test is sound. At a binade start the smaller (lower) half gap is used.
inline bool certify_rounding(const FormatTraits& t, long double y_hat, long double err, double& rounded) {
  const double candidate = round_double(t, static_cast<double>(y_hat));
  const auto bits = std::bit_cast<std::uint64_t>(candidate);
  const int field = static_cast<int>((bits >> 52) & 0x7ff);
  if (field == 0 || field == 0x7ff) return certify_rounding_general(t, y_hat, err, rounded);
  const int exponent = field - 1023;
  const bool binade_start = (bits & ((std::uint64_t{1} << 52) - 1)) == 0 && exponent > t.emin;
  const int quantum = (exponent > t.emin ? exponent : t.emin) - t.precision + 1;
  const long double half_gap = pow2l(quantum - (binade_start ? 2 : 1));
  if (std::fabs(y_hat - static_cast<long double>(candidate)) + err < half_gap) {
    rounded = candidate;
    return true;
  }
  return false;
}

}  // namespace normcheck::ref::detail
