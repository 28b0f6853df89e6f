// The integer reciprocal square root (reference/reciprocal_sqrt.hpp) against MPFR: its
// significand is MPFR's RN_128(1/sqrt(V)) and its roundings are MPFR's (long double, the
// double-double split), bit for bit, for V across every bit length and at the edges (powers of
// two and four, squares and their neighbours, 2^128 - 1); its n / sqrt(V), wherever it decides
// one, is RN_f64 of n / sqrt(V) computed in MPFR at 320 bits, and it decides nearly all.
#include <gtest/gtest.h>
#include <mpfr.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "reference/reciprocal_sqrt.hpp"

namespace normcheck::ref::detail {
namespace {

using u128 = unsigned __int128;

// An MPFR variable of p bits, cleared on scope exit.
struct Mpfr {
  mpfr_t v;
  explicit Mpfr(mpfr_prec_t p) { mpfr_init2(v, p); }
  ~Mpfr() { mpfr_clear(v); }
  Mpfr(const Mpfr&) = delete;
  Mpfr& operator=(const Mpfr&) = delete;
};

void set_exact(mpfr_t out, u128 value, long exponent = 0) {  // out = value * 2^exponent, exactly
  mpfr_set_ui(out, static_cast<unsigned long>(value >> 64), MPFR_RNDN);
  mpfr_mul_2ui(out, out, 64, MPFR_RNDN);
  mpfr_add_ui(out, out, static_cast<unsigned long>(value), MPFR_RNDN);
  mpfr_mul_2si(out, out, exponent, MPFR_RNDN);
}

std::string hex(u128 v) {
  char text[48];
  std::snprintf(text, sizeof text, "0x%016llx%016llx", static_cast<unsigned long long>(v >> 64),
                static_cast<unsigned long long>(v));
  return text;
}

struct Tally {
  long values = 0;
  long n_decided = 0;
  long n_tried = 0;
};

// Everything the oracle takes from one V, against MPFR; n values for n / sqrt(V).
void check_value(u128 v, const std::vector<std::int64_t>& counts, Tally& tally) {
  ++tally.values;
  const Reciprocal128 r = reciprocal_sqrt_128(v);
  ASSERT_GE(r.significand, u128{1} << 127) << hex(v);

  Mpfr exact_v(128), mpfr_r(128), mine(129);
  set_exact(exact_v.v, v);
  mpfr_rec_sqrt(mpfr_r.v, exact_v.v, MPFR_RNDN);
  set_exact(mine.v, r.significand, -r.shift);
  ASSERT_EQ(mpfr_cmp(mine.v, mpfr_r.v), 0) << "V = " << hex(v);

  const long double want_ld = mpfr_get_ld(mpfr_r.v, MPFR_RNDN);
  const long double got_ld = to_long_double(r);
  ASSERT_EQ(got_ld, want_ld) << "V = " << hex(v);

  double hi = 0, lo = 0;
  split_double_double(r, hi, lo);
  Mpfr rest(128);
  const double want_hi = mpfr_get_d(mpfr_r.v, MPFR_RNDN);
  mpfr_sub_d(rest.v, mpfr_r.v, want_hi, MPFR_RNDN);  // exact at 128 bits
  const double want_lo = mpfr_get_d(rest.v, MPFR_RNDN);
  ASSERT_EQ(hi, want_hi) << "V = " << hex(v);
  ASSERT_EQ(lo, want_lo) << "V = " << hex(v);
  ASSERT_EQ(std::signbit(lo), std::signbit(want_lo)) << "V = " << hex(v);

  // n / sqrt(V) to 320 bits, decided to f64 by Ziv's test at 310 (|error| well below that).
  Mpfr wide(320), product(400);
  mpfr_rec_sqrt(wide.v, exact_v.v, MPFR_RNDN);
  for (const std::int64_t n : counts) {
    ++tally.n_tried;
    const double got = certified_n_over_sqrt(r, n);
    if (std::isnan(got)) continue;
    ++tally.n_decided;
    mpfr_mul_ui(product.v, wide.v, static_cast<unsigned long>(n), MPFR_RNDN);
    ASSERT_TRUE(mpfr_can_round(product.v, 310, MPFR_RNDN, MPFR_RNDZ, 54)) << "V = " << hex(v) << " n = " << n;
    ASSERT_EQ(got, mpfr_get_d(product.v, MPFR_RNDN)) << "V = " << hex(v) << " n = " << n;
  }
}

std::vector<std::int64_t> counts_for(std::mt19937_64& rng) {
  std::vector<std::int64_t> counts = {1, 2, 3, 4, 7, 64, 255, 256, 1000, 65536};
  counts.push_back(static_cast<std::int64_t>(1 + rng() % 4096));
  // Up to 2^62, one past the bound: certified_n_over_sqrt answers NaN there, checked alike.
  counts.push_back(static_cast<std::int64_t>(1 + (rng() >> 2)));
  return counts;
}

TEST(ReciprocalSqrt, SmallValuesAgreeWithMpfr) {
  std::mt19937_64 rng(1);
  Tally tally;
  for (u128 v = 1; v <= 4096; ++v) check_value(v, counts_for(rng), tally);
}

TEST(ReciprocalSqrt, EdgesAgreeWithMpfr) {
  std::mt19937_64 rng(2);
  Tally tally;
  const u128 all_ones = ~u128{0};
  std::vector<u128> edges = {all_ones, all_ones - 1, all_ones >> 1, (all_ones >> 1) + 1};
  for (int k = 0; k < 128; ++k) {
    const u128 p = u128{1} << k;
    for (u128 d : {u128{0}, u128{1}, u128{2}, u128{3}}) {
      edges.push_back(p + d);
      if (p > d) edges.push_back(p - d);
    }
  }
  // Perfect squares (1/sqrt(V) exact in 64 bits, or a power of two) and their neighbours.
  for (int i = 0; i < 2000; ++i) {
    const std::uint64_t m = (rng() >> (rng() % 64)) | 1;
    const u128 square = static_cast<u128>(m) * m;
    for (u128 d : {u128{0}, u128{1}}) {
      edges.push_back(square + d);
      if (square > d) edges.push_back(square - d);
    }
    edges.push_back(square << (2 * (rng() % 30)));
  }
  for (u128 v : edges) {
    if (v != 0) check_value(v, counts_for(rng), tally);
  }
}

TEST(ReciprocalSqrt, RandomValuesOfEveryWidthAgreeWithMpfr) {
  std::mt19937_64 rng(3);
  Tally tally;
  for (int i = 0; i < 40000; ++i) {
    const int width = 1 + static_cast<int>(rng() % 128);
    u128 v = (static_cast<u128>(rng()) << 64) | rng();
    v = width == 128 ? v : v & ((u128{1} << width) - 1);
    v |= u128{1} << (width - 1);
    // Powers of two are left to the edges test (a power of four has an exact reciprocal
    // square root, and then n / sqrt(V) may be an f64 value that no interval decides).
    if ((v & (v - 1)) == 0) continue;
    check_value(v, counts_for(rng), tally);
  }
  std::printf("n / sqrt(V) decided for %ld of %ld (V, n) pairs over %ld values\n", tally.n_decided,
              tally.n_tried, tally.values);
  // Undecided means the interval, 2^-127 wide relative to n / sqrt(V), holds an f64 value or
  // midpoint (2^-54 apart, relatively): about 2^-73 of the time for an irrational value.
  EXPECT_GT(tally.n_decided, tally.n_tried * 999 / 1000);
}

}  // namespace
}  // namespace normcheck::ref::detail
