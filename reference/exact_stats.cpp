// Exact row statistics by integer scaling: int64/__int128 where proven to fit, GMP otherwise.
#include "reference/exact_stats.hpp"

#include <mpfr.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <cmath>
#include <limits>
#include <optional>

#include "reference/reciprocal_sqrt.hpp"
#include "reference/rounding.hpp"
#include "reference/scaled_row_sums.hpp"

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

int ceil_half(int value) {
  return value >= 0 ? (value + 1) / 2 : -((-value) / 2);
}

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

// out = value >= 0 by writing its limbs (no arithmetic: the int64 path's V, once per row).
void assign_nonnegative_int128(mpz_int& out, unsigned __int128 value) {
  static_assert(GMP_LIMB_BITS == 64, "a 128-bit value is two limbs");
  const auto low = static_cast<mp_limb_t>(value);
  const auto high = static_cast<mp_limb_t>(value >> 64);
  mp_limb_t* limbs = mpz_limbs_write(out.backend().data(), 2);
  limbs[0] = low;
  limbs[1] = high;
  mpz_limbs_finish(out.backend().data(), high != 0 ? 2 : (low != 0 ? 1 : 0));
}

// eps * n^2 * 4^q (requires eps * 4^q integral).
void scaled_eps_term(double eps, std::int64_t n, int q, mpz_int& out) {
  scale_big(eps, 2 * q, out);
  out *= n;
  out *= n;
}

// RN_128(1/sqrt(V)) rounded to long double and, for rows the first tier takes, split into a
// double-double (the per-row invariants of both fast tiers, computed once per row), for
// 1 <= V < 2^128: by integer arithmetic (reciprocal_sqrt.hpp), the same values as MPFR's.
void reciprocal_sqrt(unsigned __int128 v, ExactRowStats& stats) {
  const Reciprocal128 r = reciprocal_sqrt_128(v);
  stats.rsqrt_v = to_long_double(r);
  stats.rstd_unscaled = certified_n_over_sqrt(r, stats.n);
  if (!stats.double_tier_row) {
    stats.rsqrt_hi = stats.rsqrt_lo = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  split_double_double(r, stats.rsqrt_hi, stats.rsqrt_lo);
}

// The same for any V > 0 (rows beyond 128 bits: dominant eps over subnormal rows, wide
// exponent spreads), in MPFR.
// mpfr_get_ld keeps the full 64 bits for any V here: 1/sqrt(V) >= 2^-4700 is a normal long double.
// MPFR variables reused across rows (and calls) of a thread: mpfr_set_prec allocates only when
// a row needs more bits than any before it.
struct ReciprocalScratch {
  mpfr_t exact_v, result, product, remainder;
  ReciprocalScratch() {
    mpfr_init2(exact_v, 128);
    mpfr_init2(result, 128);
    mpfr_init2(product, 192);
    mpfr_init2(remainder, 128);
  }
  ~ReciprocalScratch() {
    mpfr_clear(exact_v);
    mpfr_clear(result);
    mpfr_clear(product);
    mpfr_clear(remainder);
  }
  ReciprocalScratch(const ReciprocalScratch&) = delete;
  ReciprocalScratch& operator=(const ReciprocalScratch&) = delete;
};

void reciprocal_sqrt(const mpz_int& v, ExactRowStats& stats) {
  thread_local ReciprocalScratch scratch;
  mpfr_ptr exact_v = scratch.exact_v;
  mpfr_ptr result = scratch.result;
  mpfr_ptr product = scratch.product;
  mpfr_ptr remainder = scratch.remainder;
  const auto v_bits = static_cast<mpfr_prec_t>(mpz_sizeinbase(v.backend().data(), 2));
  mpfr_set_prec(exact_v, std::max<mpfr_prec_t>(v_bits, 64));
  mpfr_set_z(exact_v, v.backend().data(), MPFR_RNDN);  // exact
  mpfr_rec_sqrt(result, exact_v, MPFR_RNDN);
  stats.rsqrt_v = mpfr_get_ld(result, MPFR_RNDN);
  // n * RN_128(1/sqrt(V)) is exact at 128 + 64 bits and within n 2^(EXP(r) - 129) <=
  // 2^(EXP(n r) - 128) of n / sqrt(V); 127 bits claimed, one to spare. Where truncation to 54
  // bits is decided for that whole interval, it holds no f64 value or midpoint (both 54-bit
  // numbers), so every point of it, n / sqrt(V) included, rounds to nearest alike: no tie.
  mpfr_mul_ui(product, result, static_cast<unsigned long>(stats.n), MPFR_RNDN);
  stats.rstd_unscaled = mpfr_can_round(product, 127, MPFR_RNDN, MPFR_RNDZ, 54)
                            ? mpfr_get_d(product, MPFR_RNDN)
                            : std::numeric_limits<double>::quiet_NaN();
  if (!stats.double_tier_row) {
    stats.rsqrt_hi = stats.rsqrt_lo = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  stats.rsqrt_hi = mpfr_get_d(result, MPFR_RNDN);
  // result - rsqrt_hi is exact at 128 bits (both are multiples of result's last bit).
  mpfr_sub_d(remainder, result, stats.rsqrt_hi, MPFR_RNDN);
  stats.rsqrt_lo = mpfr_get_d(remainder, MPFR_RNDN);
}

// The GMP path's working integers (compute_exact_stats), kept by each thread.
struct BigRowScratch {
  mpz_int eps_term, x, part, sum, sum_squares;
};

// Smallest lowest-set-bit exponent and largest highest-set-bit exponent over the nonzero
// values (INT_MAX / INT_MIN when all are zero), from the bit patterns without branches.
void exponent_range(const double* values, std::int64_t n, int& min_lsb, int& max_msb) {
  int lo = min_lsb;
  int hi = max_msb;
  for (std::int64_t i = 0; i < n; ++i) {
    const auto bits = std::bit_cast<std::uint64_t>(values[i]) & ~(std::uint64_t{1} << 63);
    const auto field = static_cast<int>(bits >> 52);
    const int biased = field == 0 ? 1 : field;  // subnormals share the exponent of 2^-1022
    // With the implicit bit set the lowest set bit is at most 52 (for normals it is exact;
    // subnormals have no implicit bit but a nonzero mantissa below it).
    const std::uint64_t fraction = bits & ((std::uint64_t{1} << 52) - 1);
    const std::uint64_t mantissa = field == 0 ? fraction : (fraction | (std::uint64_t{1} << 52));
    const int lsb = biased - 1075 + std::countr_zero(mantissa | (std::uint64_t{1} << 63));
    const int msb = biased - 1075 + 63 - std::countl_zero(mantissa | 1);
    if (bits != 0) {
      lo = std::min(lo, lsb);
      hi = std::max(hi, msb);
    }
  }
  min_lsb = lo;
  max_msb = hi;
}

}  // namespace

void compute_exact_stats(const RowInput& row, ExactRowStats& stats) {
  const std::int64_t n = row.n;
  stats.n = n;
  int eps_q = INT_MIN;
  int eps_msb = INT_MIN;
  if (row.eps != 0.0) {
    const OddDecomposition e = decompose(row.eps);
    eps_q = ceil_half(-e.lsb);
    eps_msb = e.msb;
  }
  // q makes every X_i and eps*4^q integers. The vector path finds it and the sums in one go
  // for most rows; the others scan the exponents (and sum below, in int64 / __int128 or GMP).
  stats.scaled.resize(static_cast<std::size_t>(n));
  ScaledRowSums vector_sums;
  const bool vectorized = scaled_row_sums(row, eps_q, stats.scaled.data(), vector_sums);
  int q = vector_sums.q;
  int x_bits = vector_sums.x_bits;
  if (!vectorized) {
    int min_lsb = INT_MAX;
    int max_msb = INT_MIN;
    for (const double* part : {row.first, row.second}) {
      if (part != nullptr) exponent_range(part, n, min_lsb, max_msb);
    }
    q = std::max((min_lsb == INT_MAX) ? INT_MIN : -min_lsb, eps_q);
    if (q == INT_MIN) q = 0;
    x_bits = (max_msb == INT_MIN) ? 0 : max_msb + q + 1 + (row.second ? 1 : 0);
  }
  stats.q = q;
  const bool layernorm = row.op == Op::layernorm;

  // Fast path bounds: |X| < 2^x_bits, n < 2^n_bits. With x_bits + n_bits <= 62:
  // |S|, n|X| < 2^62 and |D| < 2^63; n*Q, S^2 < 2^124; eps term < 2^125; V < 2^127.
  const int n_bits = static_cast<int>(std::bit_width(static_cast<std::uint64_t>(n)));
  const bool eps_fits = eps_msb == INT_MIN || eps_msb + 2 * q + 2 * n_bits + 1 <= 125;
  stats.fits_int64 = x_bits + n_bits <= 62 && eps_fits;

  std::optional<unsigned __int128> small_v;  // V, when the int64 path computed it
  if (stats.fits_int64) {
    std::int64_t* scaled = stats.scaled.data();
    std::int64_t sum = vector_sums.sum;
    std::uint64_t max_abs = vector_sums.max_abs;
    unsigned __int128 sum_squares = vector_sums.sum_squares;
    if (!vectorized) {
      if (q >= -1022 && q <= 1023) {
        // z * 2^q is an exact power-of-two scaling to an integer below 2^62: the conversion is
        // exact.
        const double scale = exact_pow2(q);
        for (std::int64_t i = 0; i < n; ++i)
          scaled[i] = static_cast<std::int64_t>(row.first[i] * scale);
        if (row.second) {
          for (std::int64_t i = 0; i < n; ++i)
            scaled[i] += static_cast<std::int64_t>(row.second[i] * scale);
        }
      } else {
        for (std::int64_t i = 0; i < n; ++i) {
          scaled[i] =
              scale_small(row.first[i], q) + (row.second ? scale_small(row.second[i], q) : 0);
        }
      }
      for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t x = scaled[i];
        const auto magnitude = static_cast<std::uint64_t>(x < 0 ? -x : x);
        sum += x;
        max_abs = std::max(max_abs, magnitude);
        sum_squares += static_cast<unsigned __int128>(magnitude) * magnitude;
      }
    }
    stats.sum_small = layernorm ? sum : 0;
    // |D_i| <= n max|X| + |S|, all below 2^63 here; the first tier needs < 2^53.
    const auto sum_magnitude =
        static_cast<unsigned __int128>(stats.sum_small < 0 ? -stats.sum_small : stats.sum_small);
    // (V >= 1 and V < 2^128 are checked below, once V is known.)
    stats.double_tier_row =
        static_cast<unsigned __int128>(max_abs) * static_cast<std::uint64_t>(n) + sum_magnitude <
        (static_cast<unsigned __int128>(1) << 53);
    __int128 v = static_cast<__int128>(sum_squares) * n;
    if (layernorm) v -= static_cast<__int128>(sum) * sum;
    // eps n^2 4^q = odd 2^(lsb + 2q) n^2 < 2^(eps_msb + 2q + 1 + 2 n_bits) <= 2^125 (eps_fits),
    // so V < 2^124 + 2^125 stays a signed 128-bit integer.
    if (row.eps != 0.0) {
      const OddDecomposition e = decompose(row.eps);
      unsigned __int128 eps_term =
          static_cast<unsigned __int128>(static_cast<std::uint64_t>(e.odd_mantissa))
          << (e.lsb + 2 * q);
      eps_term *= static_cast<std::uint64_t>(n);
      eps_term *= static_cast<std::uint64_t>(n);
      v += static_cast<__int128>(eps_term);
    }
    small_v = static_cast<unsigned __int128>(v);  // V >= 0: n Q >= S^2 (Cauchy-Schwarz), eps term >= 0
    assign_nonnegative_int128(stats.denom_square, *small_v);
    stats.sum = stats.sum_small;
  } else {
    stats.double_tier_row = false;
    stats.scaled.clear();
    // Reused across rows and calls: an mpz allocates when it first grows, so fresh locals
    // cost a few allocations per row.
    thread_local BigRowScratch scratch;
    mpz_int& eps_term = scratch.eps_term;
    mpz_int& x = scratch.x;
    mpz_int& part = scratch.part;
    mpz_int& sum = scratch.sum;
    mpz_int& sum_squares = scratch.sum_squares;
    eps_term = 0;
    if (row.eps != 0.0) scaled_eps_term(row.eps, n, q, eps_term);
    sum = 0;
    sum_squares = 0;
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
  // V is an integer, so V != 0 means V >= 1; the int64 path's bounds give V < 2^127, which is
  // checked anyway: the tier's proof depends on it, not on how the statistics were computed.
  stats.double_tier_row = stats.double_tier_row && stats.denom_square != 0 &&
                          mpz_sizeinbase(stats.denom_square.backend().data(), 2) <= 128;
  if (stats.denom_square == 0) {
    stats.rsqrt_v = 0.0L;
    stats.rsqrt_hi = stats.rsqrt_lo = stats.rstd_unscaled =
        std::numeric_limits<double>::quiet_NaN();
  } else if (small_v) {
    reciprocal_sqrt(*small_v, stats);
  } else if (mpz_sizeinbase(stats.denom_square.backend().data(), 2) <= 128) {
    const mpz_srcptr v = stats.denom_square.backend().data();
    reciprocal_sqrt((static_cast<unsigned __int128>(mpz_getlimbn(v, 1)) << 64) | mpz_getlimbn(v, 0), stats);
  } else {
    reciprocal_sqrt(stats.denom_square, stats);
  }
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
  // From the limbs (of |value|), without the temporaries abs() and >> would allocate: it
  // runs once per element of the rows beyond 64-bit integers.
  static_assert(GMP_LIMB_BITS == 64, "a limb holds the 64 significant bits");
  const mpz_srcptr v = value.backend().data();
  const int sign = mpz_sgn(v);
  if (sign == 0) return 0.0L;
  const std::size_t width = mpz_sizeinbase(v, 2);
  long double magnitude;
  if (width <= 64) {
    magnitude = static_cast<long double>(static_cast<std::uint64_t>(mpz_getlimbn(v, 0)));
  } else {
    // The 64 bits from dropped up: the top bit of the value is bit 63 of top (truncation).
    const std::size_t dropped = width - 64;
    const auto limb = static_cast<mp_size_t>(dropped / 64);
    const auto offset = static_cast<unsigned>(dropped % 64);
    std::uint64_t top = mpz_getlimbn(v, limb) >> offset;
    if (offset != 0) top |= static_cast<std::uint64_t>(mpz_getlimbn(v, limb + 1)) << (64 - offset);
    // top has 64 bits, the long double's significand: the scaling by 2^dropped is exact.
    magnitude = static_cast<long double>(top) * pow2l(static_cast<int>(dropped));
  }
  return sign < 0 ? -magnitude : magnitude;
}

}  // namespace normcheck::ref::detail
