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

// The last three reach the ends of the exponent range that the others only touch: every
// binade from the smallest subnormal to the largest finite value, rows of subnormals only,
// and near-max values mixed with subnormals (the widest scaled integers, q ~ 1100 for f64).
enum class Regime { unit, offset_tiny_spread, huge, tiny, mixed_exponents, ties, full_range, subnormals, huge_and_tiny };
inline constexpr Regime kAllRegimes[] = {Regime::unit,        Regime::offset_tiny_spread, Regime::huge,
                                         Regime::tiny,        Regime::mixed_exponents,    Regime::ties,
                                         Regime::full_range,  Regime::subnormals,         Regime::huge_and_tiny};
inline constexpr Regime kExtremeRegimes[] = {Regime::full_range, Regime::subnormals, Regime::huge_and_tiny};

// One row of n values of the format in the regime.
std::vector<double> random_row(std::mt19937_64& rng, Format format, std::int64_t n, Regime regime);

// An eps for a row whose largest |x| is about 2^max_exponent: zero, the usual fp32 constants,
// or (any f64 value) far above the row's variance, far below it, or subnormal.
double random_eps(std::mt19937_64& rng, int max_exponent);

// A LayerNorm problem of one row of f64 values (params and output f64 too), no gamma or beta.
NormProblem f64_row(std::vector<double> x, double eps);

// A complete random problem: random op, eps, optional gamma / beta / residual.
NormProblem random_problem(std::mt19937_64& rng, Format x_format, Format param_format, Format y_format,
                           std::int64_t rows, std::int64_t n, Regime regime);

}  // namespace normcheck::ref::testing
