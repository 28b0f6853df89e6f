// Independent slow oracle for the tests: rational statistics (Boost mpq) and MPFR at
// 2400 bits, rounded to the format with emin / subnormalize. Shares no code with reference/.
#pragma once

#include <mpfr.h>

#include <boost/multiprecision/gmp.hpp>

#include "reference/oracle.hpp"

namespace normcheck::ref::testing {

// Same contract as compute_oracle (y, mean, rstd, residual_out; y_exact = RN_f64 of y).
OracleResult slow_oracle(const NormProblem& problem);

// RN_format(value) through MPFR's subnormalize (independent of reference/format.cpp).
double slow_round(Format format, double value);

// RN_format(value) of an MPFR value, the same way (for the backward slow path).
double slow_round_mpfr(Format format, const mpfr_t value);

// RN_format(q) of a rational: Ziv from 2400 bits (exact when q is dyadic).
double slow_round_rational(Format format, const boost::multiprecision::mpq_rational& q);

}  // namespace normcheck::ref::testing
