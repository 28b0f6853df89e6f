// Independent slow backward oracle for the tests, written from the textbook formula
// dx = rstd (g - mean(g) - xhat mean(g xhat)) with rational (Boost mpq) statistics and
// MPFR from 2400 bits (Ziv with explicit error bounds). Shares no code with reference/.
#pragma once

#include "reference/backward_oracle.hpp"

namespace normcheck::ref::testing {

// Same contract as compute_backward_oracle for finite x, dy and gamma (rows with var + eps = 0
// included); the *_exact fields are RN_f64 of the exact values. Throws on non-finite input.
BackwardOracleResult slow_backward_oracle(const BackwardProblem& problem);

}  // namespace normcheck::ref::testing
