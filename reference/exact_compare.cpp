// Exact integer comparisons behind every rounding decision the fast path cannot certify.
#include "reference/exact_compare.hpp"

#include <bit>
#include <cmath>
#include <cstdint>

namespace normcheck::ref::detail {
namespace {

// out = a * 2^(ea - e) + b * 2^(eb - e) with e = min(ea, eb); returns e.
int aligned_sum(const mpz_int& a, int ea, const mpz_int& b, int eb, mpz_int& out, mpz_int& tmp) {
  const int e = std::min(ea, eb);
  out = a;
  out <<= static_cast<unsigned>(ea - e);
  tmp = b;
  tmp <<= static_cast<unsigned>(eb - e);
  out += tmp;
  return e;
}

// sign(lhs * 2^el - rhs * 2^er) for lhs, rhs >= 0; shifts the operand with the larger exponent.
int compare_scaled(mpz_int& lhs, long el, mpz_int& rhs, long er) {
  if (el > er) lhs <<= static_cast<unsigned long>(el - er);
  if (er > el) rhs <<= static_cast<unsigned long>(er - el);
  const int c = lhs.compare(rhs);
  return (c > 0) - (c < 0);
}

}  // namespace

Dyadic to_dyadic(double value) {
  if (value == 0.0) return {0, 0};
  const auto bits = std::bit_cast<std::uint64_t>(value);
  const auto biased = static_cast<int>((bits >> 52) & 0x7ff);
  if (biased != 0 && biased != 0x7ff) {
    // A normal value: its 53-bit significand, implicit bit set, as frexp's below would give
    // (this runs per output of the exact paths; frexp and ldexp are calls into libm).
    const auto significand = static_cast<std::int64_t>((bits & ((std::uint64_t{1} << 52) - 1)) | (std::uint64_t{1} << 52));
    return {value < 0 ? -significand : significand, biased - 1075};
  }
  int exponent = 0;
  const double fraction = std::frexp(value, &exponent);  // value = fraction * 2^exponent
  return {static_cast<std::int64_t>(std::ldexp(fraction, 53)), exponent - 53};
}

int ExactComparator::y_minus(const mpz_int& v, double gamma, const mpz_int& deviation, double beta, Dyadic m) {
  const Dyadic g = to_dyadic(gamma);
  g_ = deviation * g.mantissa;  // G = g_ * 2^g.exponent
  const Dyadic b = to_dyadic(beta);
  lhs_ = m.mantissa;
  rhs_ = -b.mantissa;
  const int t_exponent = aligned_sum(lhs_, m.exponent, rhs_, b.exponent, t_, tmp_);  // T = m - beta
  const int sign_g = g_.sign();
  const int sign_t = t_.sign();
  if (sign_g == 0) return -sign_t;
  if (sign_t == 0 || sign_g != sign_t) return sign_g;
  // Same sign s: G/sqrt(V) - T has sign s * sign(G^2 - T^2 V).
  lhs_ = g_ * g_;
  rhs_ = t_ * t_;
  rhs_ *= v;
  return sign_g * compare_scaled(lhs_, 2L * g.exponent, rhs_, 2L * t_exponent);
}

int ExactComparator::rstd_minus(const mpz_int& v, std::int64_t n, int q, Dyadic m) {
  if (m.mantissa <= 0) return 1;  // rstd > 0
  // n 2^q / sqrt(V) > m  <=>  n^2 4^q > m^2 V (both sides positive).
  lhs_ = n;
  lhs_ *= n;
  rhs_ = m.mantissa;
  rhs_ *= m.mantissa;
  rhs_ *= v;
  return compare_scaled(lhs_, 2L * q, rhs_, 2L * m.exponent);
}

int ExactComparator::mean_minus(const mpz_int& sum, std::int64_t n, int q, Dyadic m) {
  // S / (n 2^q) - m has the sign of S - n m 2^q (n > 0); compare with signs via offsets.
  lhs_ = sum;
  rhs_ = m.mantissa;
  rhs_ *= n;
  const long el = 0;
  const long er = static_cast<long>(m.exponent) + q;
  if (el > er) lhs_ <<= static_cast<unsigned long>(el - er);
  if (er > el) rhs_ <<= static_cast<unsigned long>(er - el);
  const int c = lhs_.compare(rhs_);
  return (c > 0) - (c < 0);
}

}  // namespace normcheck::ref::detail
