// Test-side generators for the backward oracle: random problems in the forward regimes, with
// adversarial gradients (dy orthogonal to xhat, zero gamma, repeated rows with equal V,
// perfect-square V), and the bitwise comparison against the slow path.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "reference/backward_oracle.hpp"
#include "tests/reference/test_values.hpp"

namespace normcheck::ref::testing {

// Gradient shapes that stress the exact paths.
enum class Gradient { random, wide_exponents, orthogonal, repeated_rows, square_v, zero_gamma };
inline constexpr Gradient kAllGradients[] = {Gradient::random,        Gradient::wide_exponents, Gradient::orthogonal,
                                             Gradient::repeated_rows, Gradient::square_v,       Gradient::zero_gamma};

BackwardProblem random_backward_problem(std::mt19937_64& rng, Format x_format, Format param_format, Format dy_format,
                                        std::int64_t rows, std::int64_t n, Regime regime, Gradient gradient);

std::string describe(const BackwardProblem& p);

// Number of mismatching fields (dx, dgamma, dbeta bit for bit; capped must be 0); reports
// the first mismatch of each.
int compare_backward(const BackwardProblem& p, const BackwardOracleResult& got, const BackwardOracleResult& want);

}  // namespace normcheck::ref::testing
