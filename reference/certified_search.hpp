// Correct rounding by exact comparison only: a galloping then binary search over the
// format's values, ordered by ordinal, deciding each step by the sign of (exact - midpoint).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "reference/exact_compare.hpp"
#include "reference/format.hpp"

namespace normcheck::ref::detail {

// Signed ordinal of a representable value: +-(magnitude bits); both zeros map to 0.
std::int64_t ordinal(Format format, double value);
double value_at_ordinal(Format format, std::int64_t k);
std::int64_t infinity_ordinal(Format format);

// The midpoint between the values of ordinals k and k + 1 (infinities stand for
// +-2^(emax+1), so the midpoint next to them is the overflow threshold).
Dyadic upper_midpoint(Format format, std::int64_t k);

// RN_format(exact) where sign_of_exact_minus(Dyadic m) = sign(exact - m) for an exact,
// finite real. guess only steers the search. An exact zero gets the sign given by
// zero_is_negative; a nonzero value that rounds to zero keeps its own sign.
template <class SignOfExactMinus>
double round_by_search(Format format, double guess, SignOfExactMinus&& sign_of_exact_minus,
                       bool zero_is_negative) {
  const std::int64_t top = infinity_ordinal(format);
  // rounds_at_or_below(k): RN(exact) <= value(k). Ties go to the even ordinal, which is the
  // even significand (and makes max+ulp/2 overflow, 0 win over min_subnormal/2).
  auto rounds_at_or_below = [&](std::int64_t k) {
    if (k >= top) return true;
    const int s = sign_of_exact_minus(upper_midpoint(format, k));
    return s < 0 || (s == 0 && (k % 2 == 0));
  };
  double start = std::isnan(guess) ? 0.0 : round_to_format(format, guess);
  std::int64_t k0 = ordinal(format, start);
  std::int64_t low;   // rounds_at_or_below(low) is false (or low is below every ordinal)
  std::int64_t high;  // rounds_at_or_below(high) is true
  if (rounds_at_or_below(k0)) {
    high = k0;
    std::int64_t step = 1;
    low = high - step;
    while (low >= -top && rounds_at_or_below(low)) {
      high = low;
      step *= 2;
      low = high - step;
    }
    low = std::max(low, -top - 1);
  } else {
    low = k0;
    std::int64_t step = 1;
    high = low + step;
    while (high < top && !rounds_at_or_below(high)) {
      low = high;
      step *= 2;
      high = low + step;
    }
    high = std::min(high, top);
  }
  while (high - low > 1) {
    const std::int64_t mid = low + (high - low) / 2;
    if (rounds_at_or_below(mid)) {
      high = mid;
    } else {
      low = mid;
    }
  }
  if (high != 0) return value_at_ordinal(format, high);
  const int zero_side = sign_of_exact_minus(Dyadic{0, 0});
  if (zero_side != 0) return zero_side < 0 ? -0.0 : 0.0;
  return zero_is_negative ? -0.0 : 0.0;
}

}  // namespace normcheck::ref::detail
