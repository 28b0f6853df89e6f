// Ziv's rounding test for an approximation held as a double: RN_format of every real within
// err of approx is one nonzero finite value of the format. Used by the backward oracle's fast
// paths, whose error bounds are proven in docs/oracle.md ("The backward pass").
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include "reference/format.hpp"
#include "reference/rounding.hpp"

namespace normcheck::ref::detail {

// The accepted approximations also serve as the exact value for the error measures: err must be
// within 2^-9 of the smaller half gap, i.e. approx is within 2^-10 of an output ulp of the exact.
inline constexpr double kExactWithinHalfGap = 0x1p-9;

// True (and out = the rounding) when |exact - approx| <= err implies RN_format(exact) = out,
// and err <= kExactWithinHalfGap times the smaller half gap next to out.
// c = RN_format(approx); the half gaps next to c are powers of two (the one towards zero is
// halved at a binade start above the subnormals); d = |approx| - |c| is exact (Sterbenz), and
// one monotonic rounding of d + err (err - d) below a power of two proves the real sum below
// it. Zeros, infinities and NaN are left undecided (the sign of a zero needs the exact path).
inline bool certify_double(Format format, double approx, double err, double& out) {
  const FormatTraits& t = traits(format);
  if (t.precision < 53) {
    // The common case, |approx| in the format's normal range: the same test from the bits alone
    // (the tiers call it per element). c = RN_fmt(approx) by rounding the significand bits;
    // half_away = 2^(exponent(c) - p) has exponent field cfield - p (>= 1 here).
    const std::uint64_t bits = std::bit_cast<std::uint64_t>(approx) & ~(std::uint64_t{1} << 63);
    const auto field = static_cast<int>(bits >> 52);
    if (field >= t.emin + 1023 && field <= t.emax + 1023) {
      const int dropped = 53 - t.precision;
      const std::uint64_t rounded =
          (bits + (std::uint64_t{1} << (dropped - 1)) - 1 + ((bits >> dropped) & 1)) & ~((std::uint64_t{1} << dropped) - 1);
      const auto cfield = static_cast<int>(rounded >> 52);
      if (cfield > t.emax + 1023 || !(err >= 0.0)) return false;  // overflow; NaN err
      const double magnitude = std::bit_cast<double>(rounded);
      const double half_away = std::bit_cast<double>(static_cast<std::uint64_t>(cfield - t.precision) << 52);
      const bool binade_start = cfield > t.emin + 1023 && (rounded & ((std::uint64_t{1} << 52) - 1)) == 0;
      const double half_toward = binade_start ? half_away / 2 : half_away;
      const double d = std::bit_cast<double>(bits) - magnitude;
      if (!(d + err < half_away) || !(err - d < half_toward) || !(err <= kExactWithinHalfGap * half_toward)) {
        return false;
      }
      out = std::copysign(magnitude, approx);
      return true;
    }
  }
  const double c = round_double(t, approx);
  if (c == 0.0 || !std::isfinite(c) || !(err >= 0.0) || !std::isfinite(err)) return false;
  const double magnitude = std::fabs(c);
  // floor(log2 |c|) from the exponent field (ilogb is a libm call per element); only an f64
  // subnormal c has field 0.
  const auto field = static_cast<int>(std::bit_cast<std::uint64_t>(magnitude) >> 52);
  const int exponent = std::max(field == 0 ? std::ilogb(magnitude) : field - 1023, t.emin);
  const double half_away = pow2(exponent - t.precision);
  const bool binade_start =
      magnitude > pow2(t.emin) && (std::bit_cast<std::uint64_t>(magnitude) & ((std::uint64_t{1} << 52) - 1)) == 0;
  const double half_toward = binade_start ? half_away / 2 : half_away;
  const double d = std::fabs(approx) - magnitude;
  if (!(d + err < half_away) || !(err - d < half_toward) || !(err <= kExactWithinHalfGap * half_toward)) return false;
  out = c;
  return true;
}

}  // namespace normcheck::ref::detail
