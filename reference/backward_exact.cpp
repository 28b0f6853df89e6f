// Exact comparisons of the backward oracle, by integer arithmetic only (GMP).
#include "reference/backward_exact.hpp"

namespace normcheck::ref::detail {
namespace {

int sign_of(std::int64_t v) { return (v > 0) - (v < 0); }

// sign(lhs * 2^a - rhs * 2^b) for integers: shift the one with the larger exponent.
int compare_shifted(mpz_int& lhs, long a, mpz_int& rhs, long b) {
  if (a > b) {
    lhs <<= static_cast<unsigned long>(a - b);
  } else if (b > a) {
    rhs <<= static_cast<unsigned long>(b - a);
  }
  const int c = lhs.compare(rhs);
  return (c > 0) - (c < 0);
}

}  // namespace

int BackwardComparator::over_sqrt_minus(const mpz_int& numerator, long a, const mpz_int& w, Dyadic m) {
  const int sign_n = numerator.sign();
  const int sign_m = sign_of(m.mantissa);
  if (sign_n == 0) return -sign_m;
  if (sign_m == 0 || sign_n != sign_m) return sign_n;
  lhs_ = numerator * numerator;
  rhs_ = m.mantissa;
  rhs_ *= rhs_;
  rhs_ *= w;
  return sign_n * compare_shifted(lhs_, 2 * a, rhs_, 2L * m.exponent);
}

int BackwardComparator::rational_minus(const mpz_int& num, long a, const mpz_int& den, Dyadic m) {
  lhs_ = num;
  rhs_ = den * m.mantissa;
  return compare_shifted(lhs_, a, rhs_, m.exponent);
}

void shifted_mantissa(double value, int base, mpz_int& out) {
  const Dyadic d = to_dyadic(value);
  out = d.mantissa;
  if (d.mantissa != 0) out <<= static_cast<unsigned>(d.exponent - base);
}

}  // namespace normcheck::ref::detail
