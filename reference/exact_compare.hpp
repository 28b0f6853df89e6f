// Exact sign decisions: on which side of a dyadic number m = mantissa * 2^exponent the
// exact y, mean or rstd of a row lies, by integer comparison only.
#pragma once

#include <cstdint>

#include "reference/exact_stats.hpp"

namespace normcheck::ref::detail {

// mantissa * 2^exponent, exactly (midpoints of f64 need 54 bits, so not a double).
struct Dyadic {
  std::int64_t mantissa = 0;
  int exponent = 0;
};

// A finite double as an exact dyadic with |mantissa| < 2^53.
Dyadic to_dyadic(double value);

// Reusable GMP temporaries, so that a comparison allocates nothing once warm.
class ExactComparator {
 public:
  // sign(beta + gamma * D / sqrt(V) - m); V > 0. Decided as the sign of G/sqrt(V) - T with
  // G = gamma*D and T = m - beta: opposite signs settle it, otherwise G^2 against T^2 V.
  int y_minus(const mpz_int& v, double gamma, const mpz_int& deviation, double beta, Dyadic m);
  // sign(n * 2^q / sqrt(V) - m) = sign(rstd - m); V > 0.
  int rstd_minus(const mpz_int& v, std::int64_t n, int q, Dyadic m);
  // sign(S / (n * 2^q) - m) = sign(mean - m).
  int mean_minus(const mpz_int& sum, std::int64_t n, int q, Dyadic m);

 private:
  mpz_int g_, t_, lhs_, rhs_, tmp_;
};

}  // namespace normcheck::ref::detail
