// RN_128(1/sqrt(V)) by one integer division and one integer square root (GMP's mpn layer, on
// fixed buffers), and its roundings to long double and double by integer rounding.
// docs/oracle.md, "The reciprocal square root", has the proofs this file follows.
#include "reference/reciprocal_sqrt.hpp"

#include <gmp.h>

#include <bit>
#include <cmath>
#include <limits>

#include "reference/format.hpp"

namespace normcheck::ref::detail {
namespace {

using u128 = unsigned __int128;

std::uint64_t low64(u128 x) { return static_cast<std::uint64_t>(x); }
std::uint64_t high64(u128 x) { return static_cast<std::uint64_t>(x >> 64); }
int bit_width(u128 x) {
  return high64(x) != 0 ? 64 + static_cast<int>(std::bit_width(high64(x))) : static_cast<int>(std::bit_width(low64(x)));
}

// RN of a nonzero m to 53 bits, as a double (exact: a 53-bit integer times a power of two).
// No tie is ever broken wrongly: the sticky bits below the round bit are all read.
double round_to_double(u128 m) {
  const int width = bit_width(m);
  if (width <= 53) return static_cast<double>(low64(m));
  const int k = width - 54;  // m >> k holds 54 bits: 53 kept and the round bit
  const std::uint64_t top = low64(m >> k);
  const bool sticky = (m & ((u128{1} << k) - 1)) != 0;
  std::uint64_t kept = top >> 1;
  if ((top & 1) != 0 && (sticky || (kept & 1) != 0)) ++kept;  // may reach 2^53: still exact
  return times_exact_pow2(static_cast<double>(kept), k + 1);
}

// A 192-bit unsigned integer, least significant word first: n r below 2^190 and the ends of
// its interval.
struct U192 {
  std::uint64_t w[3] = {0, 0, 0};

  int bit_width() const {
    for (int i = 2; i >= 0; --i) {
      if (w[i] != 0) return 64 * i + static_cast<int>(std::bit_width(w[i]));
    }
    return 0;
  }
  // The 64 bits from bit k up (0 <= k < 192), zeros above bit 191.
  std::uint64_t bits_from(int k) const {
    const int word = k / 64;
    const int offset = k % 64;
    const std::uint64_t low = w[word] >> offset;
    const std::uint64_t high = (offset != 0 && word < 2) ? w[word + 1] << (64 - offset) : 0;
    return low | high;
  }
};

U192 times(u128 m, std::uint64_t n) {
  const u128 low = static_cast<u128>(low64(m)) * n;
  const u128 high = static_cast<u128>(high64(m)) * n;
  const u128 middle = static_cast<u128>(high64(low)) + low64(high);
  return U192{{low64(low), low64(middle), high64(high) + high64(middle)}};
}

U192 twice_plus(const U192& x, std::uint64_t add) {  // 2x + add, below 2^192 where used
  U192 r{{x.w[0] << 1, (x.w[1] << 1) | (x.w[0] >> 63), (x.w[2] << 1) | (x.w[1] >> 63)}};
  const u128 s0 = static_cast<u128>(r.w[0]) + add;
  const u128 s1 = static_cast<u128>(r.w[1]) + high64(s0);
  return U192{{low64(s0), low64(s1), r.w[2] + high64(s1)}};
}

U192 twice_minus(const U192& x, std::uint64_t sub) {  // 2x - sub, nonnegative where used
  U192 r{{x.w[0] << 1, (x.w[1] << 1) | (x.w[0] >> 63), (x.w[2] << 1) | (x.w[1] >> 63)}};
  const std::uint64_t borrow0 = r.w[0] < sub ? 1 : 0;
  r.w[0] -= sub;
  const std::uint64_t borrow1 = r.w[1] < borrow0 ? 1 : 0;
  r.w[1] -= borrow0;
  r.w[2] -= borrow1;
  return r;
}

}  // namespace

Reciprocal128 reciprocal_sqrt_128(u128 v) {
  // With b = bit_width(V), choose an even t with 2^(t-2) < V <= 2^t and shift = (t + 254) / 2:
  // then R = 2^(2 shift) / V lies in [2^254, 2^256) and M = RN(sqrt(R)) in [2^127, 2^128).
  const int b = bit_width(v);
  int t = b;
  if (b % 2 != 0) t = (v == u128{1} << (b - 1)) ? b - 1 : b + 1;
  const int shift = (t + 254) / 2;

  // Q = floor(4R) = floor(2^(t + 256) / V), in [2^256, 2^258).
  mp_limb_t numerator[7] = {0, 0, 0, 0, 0, 0, 0};
  const int top_bit = t + 256;  // at most 384
  const int numerator_limbs = top_bit / 64 + 1;
  numerator[top_bit / 64] = mp_limb_t{1} << (top_bit % 64);
  const mp_limb_t divisor[2] = {low64(v), high64(v)};
  const int divisor_limbs = high64(v) != 0 ? 2 : 1;
  mp_limb_t quotient[7] = {0, 0, 0, 0, 0, 0, 0};
  mp_limb_t remainder[2] = {0, 0};
  mpn_tdiv_qr(quotient, remainder, 0, numerator, numerator_limbs, divisor, divisor_limbs);
  constexpr int kQuotientLimbs = 5;  // Q < 2^258, Q >= 2^256: its top limb is limb 4

  // S = floor(sqrt(Q)) = floor(sqrt(4R)) = floor(2 sqrt(R)) (the floor of a square root is
  // that of the square root of the floor), in [2^128, 2^129).
  mp_limb_t root[3] = {0, 0, 0};
  mp_limb_t root_remainder[kQuotientLimbs] = {0, 0, 0, 0, 0};
  mpn_sqrtrem(root, root_remainder, quotient, kQuotientLimbs);

  // M = floor((S + 1) / 2) = floor(sqrt(R) + 1/2): sqrt(R) rounded to nearest (R is never the
  // square of a half-integer, so there is no tie).
  const u128 s_low = (static_cast<u128>(root[1]) << 64) | root[0];
  const u128 half = (static_cast<u128>(root[2]) << 127) | (s_low >> 1);
  return Reciprocal128{half + (s_low & 1), shift};
}

long double to_long_double(const Reciprocal128& r) {
  std::uint64_t kept = high64(r.significand);  // the top 64 of 128 bits
  const std::uint64_t rest = low64(r.significand);
  constexpr std::uint64_t kHalf = std::uint64_t{1} << 63;
  if (rest > kHalf || (rest == kHalf && (kept & 1) != 0)) {
    if (kept == std::numeric_limits<std::uint64_t>::max()) return exact_pow2(128 - r.shift);
    ++kept;
  }
  // Exact: 2^(64 - shift) is a normal double (shift is 127 to 191), the product a normal long double.
  return static_cast<long double>(kept) * static_cast<long double>(exact_pow2(64 - r.shift));
}

void split_double_double(const Reciprocal128& r, double& hi, double& lo) {
  // hi = RN_53(M) 2^-shift; the rounded significand, as a multiple of 2^75, may be 2^128,
  // where the unsigned difference below wraps to M - 2^128 as a signed value.
  const std::uint64_t top = low64(r.significand >> 74);
  const bool sticky = (r.significand & ((u128{1} << 74) - 1)) != 0;
  std::uint64_t kept = top >> 1;
  if ((top & 1) != 0 && (sticky || (kept & 1) != 0)) ++kept;
  // Every scaling below is exact: the results are normal doubles (r in (2^-64, 1]).
  hi = times_exact_pow2(static_cast<double>(kept), 75 - r.shift);
  const auto difference = static_cast<__int128>(r.significand - (static_cast<u128>(kept) << 75));  // |.| <= 2^74
  if (difference == 0) {
    lo = 0.0;
    return;
  }
  const double magnitude = round_to_double(difference < 0 ? -static_cast<u128>(difference) : static_cast<u128>(difference));
  lo = times_exact_pow2(difference < 0 ? -magnitude : magnitude, -r.shift);
}

double certified_n_over_sqrt(const Reciprocal128& r, std::int64_t n) {
  constexpr double kUndecided = std::numeric_limits<double>::quiet_NaN();
  if (n < 1 || n >= (std::int64_t{1} << 62)) return kUndecided;
  const auto count = static_cast<std::uint64_t>(n);
  // |M - sqrt(R)| < 1/2, so 2 n sqrt(R) lies strictly between L = 2nM - n and H = 2nM + n.
  const U192 product = times(r.significand, count);
  const U192 low = twice_minus(product, count);
  const U192 high = twice_plus(product, count);
  const int width = high.bit_width();
  if (low.bit_width() != width) return kUndecided;  // a power of two in between
  const int k = width - 54;  // >= 75: H >= 2^128
  const std::uint64_t top = high.bits_from(k) & ((std::uint64_t{1} << 54) - 1);
  if ((low.bits_from(k) & ((std::uint64_t{1} << 54) - 1)) != top) return kUndecided;
  // No multiple of 2^k in (L, H]: neither an f64 value nor a midpoint of this binade, so every
  // point of the interval, 2 n sqrt(R) and 2nM included, rounds alike; 2nM is no such
  // multiple, so its bits below the round bit are not all zero and the round bit decides.
  const std::uint64_t kept = (top >> 1) + (top & 1);
  // 2 n sqrt(R) 2^-(shift + 1) = n / sqrt(V), normal (in (2^-64, 2^62)).
  return times_exact_pow2(static_cast<double>(kept), k - r.shift);
}

}  // namespace normcheck::ref::detail
