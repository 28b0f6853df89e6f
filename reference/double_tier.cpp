// First tier of the oracle: a branch-free double-double evaluation of each output and Ziv's
// test against the output format's midpoints. The bound is derived in docs/oracle.md.
#include "reference/double_tier.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace normcheck::ref::detail {
namespace {

// Error bound (docs/oracle.md, "First tier"). With h = RN(RN(D*gamma)*rsqrt_hi), the
// double-double y_dd = s + w before its final rounding satisfies |y_dd - y| <= 2^-100 |h| +
// 2^-104 |y_hi|, and y_hi = RN(y_dd) adds at most u |y_hi| (u = 2^-53). The factor
// (1 + 2^-20) covers the two roundings of evaluating the bound itself ((1 - u)^-2 < 1 + 2^-20).
constexpr double kSlack = 1.0 + 0x1p-20;
constexpr double kTermBound = 0x1p-100 * kSlack;
constexpr double kSumBound = (0x1p-53 + 0x1p-104) * kSlack;
// y_exact = y_hi needs |y_dd - y| <= 2^-57 |y_hi| (then |y_hi - y| <= 5/8 ulp(y)); this holds
// when |h| <= 2^42 |y_hi|, an exact comparison.
constexpr double kExactRatio = 0x1p42;

constexpr double kParamLimit = 0x1p600;
constexpr double kParamFloor = 0x1p-600;

// Dekker's product: a*b = p + e exactly, without FMA (Veltkamp split with 2^27 + 1). Exact
// in binary64 round-to-nearest when nothing overflows or underflows, which the tier's
// ranges guarantee (docs/oracle.md).
inline void two_product_portable(double a, double b, double& p, double& e) {
  constexpr double kSplitter = 134217729.0;  // 2^27 + 1
  const double ca = kSplitter * a;
  const double a_hi = ca - (ca - a);
  const double a_lo = a - a_hi;
  const double cb = kSplitter * b;
  const double b_hi = cb - (cb - b);
  const double b_lo = b - b_hi;
  p = a * b;
  e = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo;
}

template <bool kFma>
[[gnu::always_inline]] inline void two_product(double a, double b, double& p, double& e) {
  if constexpr (kFma) {
    p = a * b;
    e = __builtin_fma(a, b, -p);  // one instruction where the caller is compiled with FMA
  } else {
    two_product_portable(a, b, p, e);
  }
}

// Knuth's TwoSum: a + b = s + e exactly, for any order of magnitudes.
[[gnu::always_inline]] inline void two_sum(double a, double b, double& s, double& e) {
  s = a + b;
  const double b_virtual = s - a;
  e = (a - (s - b_virtual)) + (b - b_virtual);
}

// The output format's constants for the branch-free Ziv test (normal range only).
struct ZivFormat {
  double min_normal;           // 2^emin
  double max_finite;           // candidates stay finite below it
  int dropped;                 // 53 - p: double bits rounded off
  std::uint64_t min_exponent;  // biased exponent of 2^emin
  std::uint64_t precision;
};

// X_i as a double, exactly, for |X_i| < 2^51: X + 1.5 * 2^52 lies in [2^52, 2^53), where the
// integer part of the bit pattern above the exponent field is X + 2^51 (a branch-free form of
// the conversion that vectorizes without AVX-512's int64 conversions).
[[gnu::always_inline]] inline double small_int_to_double(std::int64_t value) {
  constexpr double kMagic = 0x1.8p52;
  constexpr auto kMagicBits = static_cast<std::int64_t>(0x4338000000000000);
  return std::bit_cast<double>(value + kMagicBits) - kMagic;
}

// kSmall: every |X_i| < 2^51 (so small_int_to_double applies); true for n >= 4 under the
// tier's precondition n max|X| + |S| < 2^53. The loop body is branch-free and written with
// lane-wise operations only, so that the compiler vectorizes it (four lanes in the AVX2 clone).
template <bool kFma, bool kHasGamma, bool kHasBeta, bool kSmall>
[[gnu::always_inline]] inline std::size_t tier_loop(const ZivFormat& f, const DoubleTierRow& row,
                                                    double* __restrict y,
                                                    double* __restrict y_exact,
                                                    std::uint8_t* __restrict undecided) {
  // Locals (and restrict) so that stores through y or the byte flags cannot force reloads.
  const std::int64_t n = row.n;
  // D = n X - S in doubles: n X and S are integers below 2^53 in magnitude (the tier's
  // precondition), so the product, S and the difference are all exact.
  const auto n_double = static_cast<double>(n);
  const auto sum_double = static_cast<double>(row.sum);
  const double r_hi = row.rsqrt_hi;
  const double r_lo = row.rsqrt_lo;
  const std::int64_t* __restrict scaled = row.scaled;
  const double* __restrict gammas = row.gamma;
  const double* __restrict betas = row.beta;
  const int dropped = f.dropped;
  const std::uint64_t round_bias = (std::uint64_t{1} << (dropped - 1)) - 1;
  const std::uint64_t dropped_mask = (std::uint64_t{1} << dropped) - 1;
  const auto min_exponent = static_cast<std::int64_t>(f.min_exponent);
  const auto precision = static_cast<std::int64_t>(f.precision);
  const double min_normal = f.min_normal;
  const double max_finite = f.max_finite;
  constexpr std::uint64_t kMantissaMask = (std::uint64_t{1} << 52) - 1;
  // Chunks whose verdicts go to 64-bit flags first: a byte store in the main loop would make
  // the compiler process 32 elements per step and spill its registers.
  constexpr std::int64_t kChunk = 128;
  std::int64_t verdicts[kChunk];
  std::size_t undecided_count = 0;
  for (std::int64_t start = 0; start < n; start += kChunk) {
    const std::int64_t length = std::min(kChunk, n - start);
    for (std::int64_t j = 0; j < length; ++j) {
      const std::int64_t i = start + j;
      const double x = kSmall ? small_int_to_double(scaled[i]) : static_cast<double>(scaled[i]);
      const double d = x * n_double - sum_double;  // exact: see above
      const double g = kHasGamma ? gammas[i] : 1.0;
      const double b = kHasBeta ? betas[i] : 0.0;
      // t = D*g*(r_hi + r_lo) as h + low; y_dd = s + w = b + t.
      double p, pe, h, he;
      two_product<kFma>(d, g, p, pe);
      two_product<kFma>(p, r_hi, h, he);
      const double low = he + (p * r_lo + pe * r_hi);
      double s, e;
      two_sum(b, h, s, e);
      const double y_hi = s + (e + low);
      const double a = std::fabs(y_hi);
      const double err = kTermBound * std::fabs(h) + kSumBound * a;
      // Candidate c = RN_format(a), by rounding the significand bits (a is in the normal range).
      // Unsigned shifts (AVX2 has no 64-bit arithmetic shift); the exponent (at most 0x7ff)
      // is compared as a signed lane.
      std::uint64_t bits = std::bit_cast<std::uint64_t>(a);
      bits += round_bias + ((bits >> dropped) & 1);
      bits &= ~dropped_mask;
      const double c = std::bit_cast<double>(bits);
      // Half the gap to the neighbouring midpoints; the lower gap (halved) at a binade start.
      const auto exponent = static_cast<std::int64_t>(bits >> 52);
      const std::int64_t binade_start = ((bits & kMantissaMask) == 0) & (exponent > min_exponent);
      const double half_gap = std::bit_cast<double>(
          static_cast<std::uint64_t>(exponent - precision - binade_start) << 52);
      // NaN and inf fail the range test. a - c is exact (Sterbenz); the sum's one rounding is
      // monotonic and half_gap a power of two, so a true comparison is never made false.
      const bool in_range = (a >= min_normal) & (a < max_finite);
      const bool certified =
          in_range & (std::fabs(a - c) + err < half_gap) & (std::fabs(h) <= kExactRatio * a);
      y[i] = std::copysign(c, y_hi);
      y_exact[i] = y_hi;
      verdicts[j] = !certified;
    }
    for (std::int64_t j = 0; j < length; ++j) {
      undecided[start + j] = static_cast<std::uint8_t>(verdicts[j]);
      undecided_count += static_cast<std::size_t>(verdicts[j]);
    }
  }
  return undecided_count;
}

template <bool kFma, bool kSmall>
[[gnu::always_inline]] inline std::size_t dispatch_params(const ZivFormat& f,
                                                          const DoubleTierRow& row, double* y,
                                                          double* y_exact,
                                                          std::uint8_t* undecided) {
  if (row.gamma && row.beta)
    return tier_loop<kFma, true, true, kSmall>(f, row, y, y_exact, undecided);
  if (row.gamma) return tier_loop<kFma, true, false, kSmall>(f, row, y, y_exact, undecided);
  if (row.beta) return tier_loop<kFma, false, true, kSmall>(f, row, y, y_exact, undecided);
  return tier_loop<kFma, false, false, kSmall>(f, row, y, y_exact, undecided);
}

template <bool kFma>
[[gnu::always_inline]] inline std::size_t dispatch(const ZivFormat& f, const DoubleTierRow& row,
                                                   double* y, double* y_exact,
                                                   std::uint8_t* undecided) {
  // n >= 4 and n max|X| < 2^53 give |X| < 2^51; rows of 1 to 3 convert the general way.
  if (row.n >= 4) return dispatch_params<kFma, true>(f, row, y, y_exact, undecided);
  return dispatch_params<kFma, false>(f, row, y, y_exact, undecided);
}

// The default build targets baseline x86-64; the FMA (and AVX2, for wider vectors) version
// is compiled separately and chosen at run time.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define NORMCHECK_HAVE_FMA_CLONE 1
[[gnu::target("avx2,fma")]] std::size_t tier_fma(const ZivFormat& f, const DoubleTierRow& row,
                                                 double* y, double* y_exact,
                                                 std::uint8_t* undecided) {
  return dispatch<true>(f, row, y, y_exact, undecided);
}
#endif

std::size_t tier_portable(const ZivFormat& f, const DoubleTierRow& row, double* y, double* y_exact,
                          std::uint8_t* undecided) {
  return dispatch<false>(f, row, y, y_exact, undecided);
}

}  // namespace

bool double_tier_applies(const FormatTraits& y_traits) {
  return y_traits.precision <= 24;
}

bool params_in_double_tier_range(const double* values, std::size_t count) {
  bool ok = true;
  for (std::size_t i = 0; i < count; ++i) {
    const double a = std::fabs(values[i]);
    // Non-finite values are never certified, so they do not restrict the range.
    ok &= (a == 0.0) | ((a >= kParamFloor) & (a <= kParamLimit)) | !(a <= 0x1.fffffffffffffp1023);
  }
  return ok;
}

bool cpu_has_fma() {
#ifdef NORMCHECK_HAVE_FMA_CLONE
  static const bool has = __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx2");
  return has;
#else
  return false;
#endif
}

std::size_t double_tier_row(const FormatTraits& y_traits, const DoubleTierRow& row, double* y,
                            double* y_exact, std::uint8_t* undecided, ProductKernel kernel) {
  const ZivFormat f{std::ldexp(1.0, y_traits.emin),
                    std::ldexp(2.0 - std::ldexp(1.0, 1 - y_traits.precision), y_traits.emax),
                    53 - y_traits.precision, static_cast<std::uint64_t>(y_traits.emin + 1023),
                    static_cast<std::uint64_t>(y_traits.precision)};
  const bool use_fma =
      kernel == ProductKernel::fma || (kernel == ProductKernel::automatic && cpu_has_fma());
#ifdef NORMCHECK_HAVE_FMA_CLONE
  if (use_fma) return tier_fma(f, row, y, y_exact, undecided);
#else
  (void)use_fma;
#endif
  return tier_portable(f, row, y, y_exact, undecided);
}

}  // namespace normcheck::ref::detail
