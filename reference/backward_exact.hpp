// Exact sign decisions for the backward oracle: on which side of a dyadic midpoint
// m = M * 2^e an exact gradient N * 2^a / sqrt(W) (dx: W = V^3; one-row-group dgamma: W = V)
// or a rational num * 2^a / den (dbeta, dgamma over perfect-square V) lies.
#pragma once

#include "reference/exact_compare.hpp"

namespace normcheck::ref::detail {

// Reusable GMP temporaries, so that repeated comparisons allocate nothing once warm.
class BackwardComparator {
 public:
  // sign(N * 2^a / sqrt(W) - m), W > 0: opposite or zero signs settle it, otherwise the
  // common sign s times sign(N^2 2^(2a) - M^2 2^(2e) W), an integer comparison.
  int over_sqrt_minus(const mpz_int& numerator, long a, const mpz_int& w, Dyadic m);
  // sign(num * 2^a / den - m), den > 0: sign(num 2^a - M 2^e den).
  int rational_minus(const mpz_int& num, long a, const mpz_int& den, Dyadic m);

 private:
  mpz_int lhs_, rhs_;
};

// x * 2^k for a finite double x as an exact integer when k + (x's exponent) allows it:
// out = mantissa(x) << (exponent(x) - base); requires exponent(x) >= base.
void shifted_mantissa(double value, int base, mpz_int& out);

}  // namespace normcheck::ref::detail
