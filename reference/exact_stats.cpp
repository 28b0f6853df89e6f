// Exact row statistics by integer scaling: int64/__int128 where proven to fit, GMP otherwise.
#include "reference/exact_stats.hpp"

#include <mpfr.h>

#include <algorithm>
#include <bit>
#include <boost/multiprecision/mpfr.hpp>
#include <climits>
#include <cmath>

namespace normcheck::ref::detail {
namespace {

// A finite nonzero double as odd_mantissa * 2^lsb (odd_mantissa signed, |.| < 2^53).
struct OddDecomposition {
  std::int64_t odd_mantissa;
  int lsb;  // exponent of the lowest set bit
  int msb;  // exponent of the highest set bit
};

OddDecomposition decompose(double value) {
  const auto bits = std::bit_cast<std::uint64_t>(value);
  const auto field = static_cast<int>((bits >> 52) & 0x7ff);
  std::uint64_t mantissa = bits & ((std::uint64_t{1} << 52) - 1);
  int exponent = -1074;  // of the mantissa's unit bit, subnormal case
  if (field != 0) {
    mantissa |= std::uint64_t{1} << 52;
    exponent = field - 1075;
  }
  const int trailing = std::countr_zero(mantissa);
  const int width = static_cast<int>(std::bit_width(mantissa));
  const auto odd = static_cast<std::int64_t>(mantissa >> trailing);
  return {(bits >> 63) ? -odd : odd, exponent + trailing, exponent + width - 1};
}

int ceil_half(int value) { return value >= 0 ? (value + 1) / 2 : -((-value) / 2); }

// value * 2^q as an integer; requires value*2^q integral and below 2^63 in magnitude.
std::int64_t scale_small(double value, int q) {
  if (value == 0.0) return 0;
  const OddDecomposition d = decompose(value);
  return d.odd_mantissa * (std::int64_t{1} << (d.lsb + q));
}

void scale_big(double value, int q, mpz_int& out) {
  if (value == 0.0) {
    out = 0;
    return;
  }
  const OddDecomposition d = decompose(value);
  out = d.odd_mantissa;
  out <<= static_cast<unsigned>(d.lsb + q);
}

void assign_int128(mpz_int& out, __int128 value) {
  const bool negative = value < 0;
  const auto magnitude = negative ? -static_cast<unsigned __int128>(value) : static_cast<unsigned __int128>(value);
  out = static_cast<std::uint64_t>(magnitude >> 64);
  out <<= 64;
  out += static_cast<std::uint64_t>(magnitude);
  if (negative) out = -out;
}

// eps * n^2 * 4^q (requires eps * 4^q integral).
void scaled_eps_term(double eps, std::int64_t n, int q, mpz_int& out) {
  scale_big(eps, 2 * q, out);
  out *= n;
  out *= n;
}

long double reciprocal_sqrt(const mpz_int& v) {
  if (v == 0) return 0.0L;
  using boost::multiprecision::mpfr_float;
  mpfr_float exact_v;
  mpfr_float result;
  const auto v_bits = static_cast<mpfr_prec_t>(mpz_sizeinbase(v.backend().data(), 2));
  mpfr_set_prec(exact_v.backend().data(), std::max<mpfr_prec_t>(v_bits, 64));
  mpfr_set_prec(result.backend().data(), 128);
  mpfr_set_z(exact_v.backend().data(), v.backend().data(), MPFR_RNDN);  // exact
  mpfr_rec_sqrt(result.backend().data(), exact_v.backend().data(), MPFR_RNDN);
  return mpfr_get_ld(result.backend().data(), MPFR_RNDN);
}

}  // namespace

void compute_exact_stats(const RowInput& row, ExactRowStats& stats) {
  const std::int64_t n = row.n;
  stats.n = n;
  int min_lsb = INT_MAX;
  int max_msb = INT_MIN;
  for (const double* part : {row.first, row.second}) {
    if (part == nullptr) continue;
    for (std::int64_t i = 0; i < n; ++i) {
      if (part[i] == 0.0) continue;
      const OddDecomposition d = decompose(part[i]);
      min_lsb = std::min(min_lsb, d.lsb);
      max_msb = std::max(max_msb, d.msb);
    }
  }
  // q makes every X_i and eps*4^q integers.
  int q = (min_lsb == INT_MAX) ? INT_MIN : -min_lsb;
  int eps_msb = INT_MIN;
  if (row.eps != 0.0) {
    const OddDecomposition e = decompose(row.eps);
    q = std::max(q, ceil_half(-e.lsb));
    eps_msb = e.msb;
  }
  if (q == INT_MIN) q = 0;
  stats.q = q;
  const bool layernorm = row.op == Op::layernorm;

  // Fast path bounds: |X| < 2^x_bits, n < 2^n_bits. With x_bits + n_bits <= 62:
  // |S|, n|X| < 2^62 and |D| < 2^63; n*Q, S^2 < 2^124; eps term < 2^125; V < 2^127.
  const int n_bits = static_cast<int>(std::bit_width(static_cast<std::uint64_t>(n)));
  const int x_bits = (max_msb == INT_MIN) ? 0 : max_msb + q + 1 + (row.second ? 1 : 0);
  const bool eps_fits = eps_msb == INT_MIN || eps_msb + 2 * q + 2 * n_bits + 1 <= 125;
  stats.fits_int64 = x_bits + n_bits <= 62 && eps_fits;

  mpz_int eps_term;
  if (row.eps != 0.0) scaled_eps_term(row.eps, n, q, eps_term);

  if (stats.fits_int64) {
    stats.scaled.resize(static_cast<std::size_t>(n));
    std::int64_t sum = 0;
    unsigned __int128 sum_squares = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      std::int64_t x = scale_small(row.first[i], q);
      if (row.second) x += scale_small(row.second[i], q);
      stats.scaled[static_cast<std::size_t>(i)] = x;
      sum += x;
      sum_squares += static_cast<unsigned __int128>(static_cast<__int128>(x) * x);
    }
    stats.sum_small = layernorm ? sum : 0;
    __int128 v = static_cast<__int128>(sum_squares) * n;
    if (layernorm) v -= static_cast<__int128>(sum) * sum;
    assign_int128(stats.denom_square, v);
    stats.denom_square += eps_term;
    stats.sum = stats.sum_small;
  } else {
    stats.scaled.clear();
    mpz_int x;
    mpz_int part;
    mpz_int sum = 0;
    mpz_int sum_squares = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      scale_big(row.first[i], q, x);
      if (row.second) {
        scale_big(row.second[i], q, part);
        x += part;
      }
      sum += x;
      mpz_addmul(sum_squares.backend().data(), x.backend().data(), x.backend().data());
    }
    stats.denom_square = sum_squares * n;
    if (layernorm) stats.denom_square -= sum * sum;
    stats.denom_square += eps_term;
    stats.sum = layernorm ? sum : mpz_int(0);
  }
  stats.rsqrt_v = reciprocal_sqrt(stats.denom_square);
}

void exact_deviation(const RowInput& row, const ExactRowStats& stats, std::int64_t i, mpz_int& out,
                     mpz_int& scratch) {
  if (stats.fits_int64) {
    out = stats.scaled[static_cast<std::size_t>(i)] * stats.n - stats.sum_small;  // proven < 2^63
    return;
  }
  scale_big(row.first[i], stats.q, out);
  if (row.second) {
    scale_big(row.second[i], stats.q, scratch);
    out += scratch;
  }
  out *= stats.n;
  out -= stats.sum;
}

long double to_long_double(const mpz_int& value) {
  const int sign = value.sign();
  if (sign == 0) return 0.0L;
  const std::size_t width = mpz_sizeinbase(value.backend().data(), 2);
  long double magnitude;
  if (width <= 64) {
    mpz_int absolute = abs(value);
    magnitude = static_cast<long double>(static_cast<std::uint64_t>(mpz_get_ui(absolute.backend().data())));
  } else {
    const auto dropped = static_cast<unsigned>(width - 64);
    mpz_int top = abs(value) >> dropped;
    magnitude = std::ldexp(static_cast<long double>(static_cast<std::uint64_t>(mpz_get_ui(top.backend().data()))),
                           static_cast<int>(dropped));
  }
  return sign < 0 ? -magnitude : magnitude;
}

}  // namespace normcheck::ref::detail
