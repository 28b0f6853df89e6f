// Test-side generators: format values from bit patterns and rows in named regimes.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "reference/format.hpp"
#include "reference/oracle.hpp"

namespace normcheck::ref::testing {

// A finite value of the format with exponent in [min_exp, max_exp] (clamped to the
// format) and uniformly random significand bits, random sign.
double random_value(std::mt19937_64& rng, Format format, int min_exp, int max_exp);

// Any bit pattern of the format (NaN, inf, subnormal included).
double random_bits(std::mt19937_64& rng, Format format);

enum class Regime { unit, offset_tiny_spread, huge, tiny, mixed_exponents, ties };
inline constexpr Regime kAllRegimes[] = {Regime::unit, Regime::offset_tiny_spread, Regime::huge,
                                         Regime::tiny, Regime::mixed_exponents, Regime::ties};

// One row of n values of the format in the regime.
std::vector<double> random_row(std::mt19937_64& rng, Format format, std::int64_t n, Regime regime);

// A complete random problem: random op, eps, optional gamma / beta / residual.
NormProblem random_problem(std::mt19937_64& rng, Format x_format, Format param_format, Format y_format,
                           std::int64_t rows, std::int64_t n, Regime regime);

}  // namespace normcheck::ref::testing
