// RapidCheck generators for single values of a numeric format, built from bit fields
// (sign, binade, significand) so that subnormals, powers of two and extremes appear;
// RapidCheck's arbitrary<float> never yields them.
#pragma once

#include <rapidcheck.h>

#include "reference/format.hpp"

namespace normcheck::props {

// Finite values whose binade exponent lies in [lo_exponent, hi_exponent] (clamped to the
// format's finite range; binades below emin give subnormals). Random sign and significand.
// Shrinks towards +2^lo_exponent: positive, fewer significand bits, lower binade.
rc::Gen<double> finite_values(ref::Format format, int lo_exponent, int hi_exponent);

// Subnormal values of the format, from their significand bit field (never zero).
rc::Gen<double> subnormal_values(ref::Format format);

// Ordinary data: mostly finite values of magnitude 2^-4 to 2^4, sometimes zero.
rc::Gen<double> ordinary_values(ref::Format format);

// Subnormal and barely normal values (the lowest three binades), sometimes zero.
rc::Gen<double> tiny_values(ref::Format format);

// NaN, +inf or -inf.
rc::Gen<double> nonfinite_values();

// Integers in [-magnitude, magnitude]: exact sums and ties in the oracle.
rc::Gen<double> small_integers(int magnitude);

// The largest binade exponent whose values can still be squared and summed n times in
// the format without overflow, so "ordinary" data never overflows by construction.
int safe_exponent(ref::Format format);

}  // namespace normcheck::props
