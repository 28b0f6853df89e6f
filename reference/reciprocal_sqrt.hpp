// RN_128(1/sqrt(V)) of an integer 1 <= V < 2^128 by integer arithmetic, and the per-row values
// the oracle's tiers take from it (exact_stats.hpp). The rows of the int64 / __int128 path
// (all but rows of extreme exponent spread) have such a V; MPFR serves the others. Both give
// the same correctly rounded values, so either may compute them (docs/oracle.md, "The
// reciprocal square root"); tests/reference/reciprocal_sqrt_test.cpp holds them to MPFR's.
#pragma once

#include <cstdint>

namespace normcheck::ref::detail {

// r = significand * 2^-shift with significand in [2^127, 2^128): RN_128(1/sqrt(V)) (never a
// tie, and never rounding up to 2^128, for V below 2^128).
struct Reciprocal128 {
  unsigned __int128 significand = 0;
  int shift = 0;
};

// Requires 1 <= v (every unsigned __int128 is below 2^128).
Reciprocal128 reciprocal_sqrt_128(unsigned __int128 v);

// RN_ld(r): r in (2^-64, 1] is a normal long double.
long double to_long_double(const Reciprocal128& r);

// RN_f64(r) and RN_f64(r - RN_f64(r)) (the difference is exact at 128 bits): the double-double
// whose sum is r(1 + rho), |rho| <= 2^-106 (1 + 2^-52).
void split_double_double(const Reciprocal128& r, double& hi, double& lo);

// RN_f64(n / sqrt(V)) where n r decides it: n r is exact (below 2^190) and within n/2 units of
// r's last bit of n / sqrt(V), and the rounding is taken only where no f64 value or midpoint
// of that binade lies in the whole interval. NaN where one does (the caller's exact search
// decides those). Requires 1 <= n < 2^62.
double certified_n_over_sqrt(const Reciprocal128& r, std::int64_t n);

}  // namespace normcheck::ref::detail
