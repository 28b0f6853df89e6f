// Independent slow oracle for the tests: rational statistics (Boost mpq) and MPFR at
// 2400 bits, rounded to the format with emin / subnormalize. Shares no code with reference/.
#pragma once

#include "reference/oracle.hpp"

namespace normcheck::ref::testing {

// Same contract as compute_oracle (y, mean, rstd, residual_out; y_exact = RN_f64 of y).
OracleResult slow_oracle(const NormProblem& problem);

// RN_format(value) through MPFR's subnormalize (independent of reference/format.cpp).
double slow_round(Format format, double value);

}  // namespace normcheck::ref::testing
