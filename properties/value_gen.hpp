// Distributions of single values of a numeric format, built from bit fields (sign, binade,
// significand) so that subnormals, powers of two and extremes appear; RapidCheck's
// arbitrary<float> never yields them. Each is a generator of one value as well
// (value_distribution.hpp), and rows of them are drawn with drawn_values.
#pragma once

#include <rapidcheck.h>

#include "properties/value_distribution.hpp"
#include "reference/format.hpp"

namespace normcheck::props {

// Finite values whose binade exponent lies in [lo_exponent, hi_exponent] (clamped to the
// format's finite range; binades below emin give subnormals). Random sign and significand.
// Shrinks towards positive values, then the power of two of their binade.
ValueDistribution finite_values(ref::Format format, int lo_exponent, int hi_exponent);

// Subnormal values of the format, from their significand bit field (never zero).
ValueDistribution subnormal_values(ref::Format format);

// Always +0.
ValueDistribution zero_values(ref::Format format);

// Ordinary data: mostly finite values of magnitude 2^-4 to 2^4, sometimes zero.
ValueDistribution ordinary_values(ref::Format format);

// Subnormal and barely normal values (the lowest three binades), sometimes zero.
ValueDistribution tiny_values(ref::Format format);

// NaN, +inf or -inf.
rc::Gen<double> nonfinite_values();

// Integers in [-magnitude, magnitude]: exact sums and ties in the oracle.
ValueDistribution small_integers(int magnitude);

// The largest binade exponent whose values can still be squared and summed n times in
// the format without overflow, so "ordinary" data never overflows by construction.
int safe_exponent(ref::Format format);

}  // namespace normcheck::props
