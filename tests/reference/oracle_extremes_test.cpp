// The oracle at the ends of the exponent range: f64 rows of subnormals, near-max values,
// both at once, eps dominant / negligible / subnormal, against the slow path on both the
// certified tiers and the forced exact path. Plus the reported regressions.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <random>

#include "reference/exact_stats.hpp"
#include "reference/oracle.hpp"
#include "reference/refined_guess.hpp"
#include "tests/reference/bit_compare.hpp"
#include "tests/reference/oracle_check.hpp"
#include "tests/reference/test_values.hpp"

namespace normcheck::ref {
namespace {

constexpr Format kFormats[] = {Format::f16, Format::bf16, Format::f32, Format::f64};

using testing::f64_row;

// Found by `normcheck check` (layernorm.f64.two_pass): x = [0, -s] with s subnormal and eps
// dominant, so q = 1049 and V ~ 2^2057. The wrong answer, 0x1.828b16f61e0e9p-1016, is exactly
// D * RN_f64(1/sqrt(V)) with 1/sqrt(V) ~ 2^-1040 stored as a subnormal double (34 bits): the
// first tier's double-double reciprocal used outside its range. The expected value is from an
// independent 100-digit decimal evaluation, (s/2) / sqrt(s^2/4 + eps).
TEST(Extremes, SubnormalRowWithDominantEps) {
  const NormProblem p = f64_row({0.0, -0x0.317a406p-1022}, 0x1.0c6f7ap-20);
  for (const bool exact : {false, true}) {
    const OracleResult r = compute_oracle(p, OracleOptions{.force_exact = exact});
    EXPECT_TRUE(testing::same_bits(r.y[0], 0x1.828b16f62fca2p-1016)) << testing::hex(r.y[0]) << " exact=" << exact;
    EXPECT_TRUE(testing::same_bits(r.y[1], -0x1.828b16f62fca2p-1016)) << testing::hex(r.y[1]);
    EXPECT_TRUE(testing::same_bits(r.mean[0], -0x0.18bd203p-1022)) << testing::hex(r.mean[0]);
  }
  EXPECT_EQ(testing::compare_with_slow(p), 0);
  EXPECT_EQ(testing::compare_with_slow(p, OracleOptions{.force_exact = true}), 0);
}

// The first tier's reciprocal is a double-double only where that is accurate to 2^-105
// (1 <= V < 2^128); outside, the statistics say so and carry NaN, which no test certifies.
TEST(Extremes, DoubleDoubleReciprocalOnlyInItsRange) {
  const NormProblem p = f64_row({0.0, -0x0.317a406p-1022}, 0x1.0c6f7ap-20);
  detail::RowInput row;
  row.first = p.x.data();
  row.n = p.n;
  row.eps = p.eps;
  detail::ExactRowStats stats;
  detail::compute_exact_stats(row, stats);
  EXPECT_FALSE(stats.double_tier_row);
  EXPECT_TRUE(std::isnan(stats.rsqrt_hi) && std::isnan(stats.rsqrt_lo));
  EXPECT_GT(stats.rsqrt_v, 0.0L);  // the long double tier's reciprocal keeps its exponent range

  const NormProblem small = f64_row({1.0, -1.0, 0.5}, 0x1p-20);
  row.first = small.x.data();
  row.n = small.n;
  row.eps = small.eps;
  detail::compute_exact_stats(row, stats);
  EXPECT_TRUE(stats.double_tier_row);
  EXPECT_TRUE(std::isfinite(stats.rsqrt_hi) && std::isfinite(stats.rsqrt_lo));
}

// Near-overflow rows from `normcheck check` (seed 3 case 7, seed 4 case 36) that were reported
// as timeouts: the oracle must answer them, and rows of 4096 such values. How fast it answers
// those rows is bench/reference/oracle_extremes_bench.cpp's business, not a unit test's.
TEST(Extremes, NearOverflowRowsAreAnswered) {
  NormProblem p = f64_row({-0x1.d3dc5fd325acfp+1023, 0x1.15a1be6faf2e1p+1022, -0x1.473a57505a28ap+1021},
                          0x1.0c6f7ap-20);
  p.gamma = {-0x1.a18cea255e087p-1, -0x1.cf4b42a2281ebp+0, 0x1.eccb14d26ac2cp+1};
  p.beta = {-0x1.897b688a565bap+1, 0x1.451b60c12a0bdp-2, -0x1.b00d2ebb40a5ap+1};
  EXPECT_EQ(testing::compare_with_slow(p), 0);
  EXPECT_EQ(testing::compare_with_slow(p, OracleOptions{.force_exact = true}), 0);

  std::mt19937_64 rng(36);
  for (const testing::Regime regime : testing::kExtremeRegimes) {
    for (const double eps : {0.0, 0x1.4f8b58p-17, 0x1p-1074, 0x1p+1000}) {
      const NormProblem big = f64_row(testing::random_row(rng, Format::f64, 4096, regime), eps);
      EXPECT_EQ(compute_oracle(big).y.size(), 4096u);
    }
  }
}

// beta_i = -RN_f64(t_i): y_i = t_i - RN(t_i) cancels ~53 bits, so the long double tier decides
// nothing and every output goes to the exact search. It must stay right; the search starts
// from the 256-bit guess, which keeps it fast (about 540 ms per row before, about 20 ms with
// it: bench/reference/oracle_extremes_bench.cpp measures it).
TEST(Extremes, CancellingBetaIsRight) {
  std::mt19937_64 rng(53);
  for (const testing::Regime regime : testing::kExtremeRegimes) {
    NormProblem small = f64_row(testing::random_row(rng, Format::f64, 6, regime), 0x1p-20);
    const OracleResult terms = compute_oracle(small);
    for (const double t : terms.y) small.beta.push_back(std::isfinite(t) ? -t : 0.0);
    EXPECT_EQ(testing::compare_with_slow(small), 0);
    EXPECT_EQ(testing::compare_with_slow(small, OracleOptions{.force_exact = true}), 0);
  }
  NormProblem big = f64_row(testing::random_row(rng, Format::f64, 4096, testing::Regime::huge_and_tiny), 0.0);
  const OracleResult terms = compute_oracle(big);
  for (const double t : terms.y) big.beta.push_back(-t);
  const OracleResult r = compute_oracle(big);
  long nonzero = 0;
  for (const double y : r.y) nonzero += y != 0.0;
  EXPECT_GT(nonzero, 4000);  // the residues t - RN(t), not cancelled to zero

  // The guess itself: within one f64 value of the answer for these ~53-bit cancellations.
  detail::RowInput row;
  row.first = big.x.data();
  row.n = big.n;
  detail::ExactRowStats stats;
  detail::compute_exact_stats(row, stats);
  detail::RefinedGuess refined;
  refined.start_row();
  boost::multiprecision::mpz_int deviation;
  boost::multiprecision::mpz_int scratch;
  long far = 0;
  for (std::int64_t i = 0; i < big.n; i += 7) {
    detail::exact_deviation(row, stats, i, deviation, scratch);
    const auto k = static_cast<std::size_t>(i);
    const double guess = refined.guess(stats.denom_square, deviation, 1.0, big.beta[k]);
    far += guess != r.y[k] && guess != std::nextafter(r.y[k], 0x1p1023) && guess != std::nextafter(r.y[k], -0x1p1023);
  }
  EXPECT_EQ(far, 0);
}

// Every x format (f64 matters most), random param and output formats, in the extreme regimes.
class ExtremeSlowPath : public ::testing::TestWithParam<Format> {};

TEST_P(ExtremeSlowPath, BothPathsMatchTheSlowPath) {
  const Format x_format = GetParam();
  std::mt19937_64 rng(4321 + static_cast<unsigned>(x_format));
  int failures = 0;
  int problems = 0;
  for (const testing::Regime regime : testing::kExtremeRegimes) {
    for (int k = 0; k < 30 && failures < 5; ++k) {
      const auto p = testing::random_problem(rng, x_format, kFormats[rng() % 4], kFormats[rng() % 4], 2,
                                             static_cast<std::int64_t>(1 + rng() % 12), regime);
      failures += testing::compare_with_slow(p);
      failures += testing::compare_with_slow(p, OracleOptions{.force_exact = true});
      ++problems;
    }
  }
  std::printf("%s: %d problems, %d mismatching fields\n", std::string(format_name(x_format)).c_str(), problems,
              failures);
  EXPECT_EQ(failures, 0);
}

INSTANTIATE_TEST_SUITE_P(Formats, ExtremeSlowPath, ::testing::ValuesIn(kFormats),
                         [](const auto& test_info) { return std::string(format_name(test_info.param)); });

// f64 values from bit patterns, weighted towards the ends of the range.
rc::Gen<double> extreme_f64() {
  using rc::gen::inRange;
  using rc::gen::map;
  const auto with_sign = [](std::uint64_t magnitude, bool negative) {
    return std::bit_cast<double>(magnitude | (negative ? std::uint64_t{1} << 63 : 0));
  };
  const auto from = [with_sign](std::uint64_t lo, std::uint64_t hi) {
    return rc::gen::apply(with_sign, inRange<std::uint64_t>(lo, hi), rc::gen::arbitrary<bool>());
  };
  return rc::gen::weightedOneOf<double>({
      {3, from(1, std::uint64_t{1} << 52)},                              // subnormal
      {3, from(0x7fcull << 52, 0x7ff0000000000000ull)},                  // within 2^-3 of overflow
      {3, from(1, 0x7ff0000000000000ull)},                               // any finite nonzero
      {2, from(0x3f00000000000000ull, 0x4100000000000000ull)},           // ordinary (2^-15 .. 2^17)
      {1, rc::gen::element(0.0, -0.0, 0x1p-1074, DBL_MAX, -DBL_MAX)},    // the very ends
  });
}

// eps from bit patterns, relative to nothing: subnormal, tiny, ordinary, huge, zero.
rc::Gen<double> extreme_eps() {
  using rc::gen::inRange;
  const auto bits_to_double = [](std::uint64_t bits) { return std::bit_cast<double>(bits); };
  return rc::gen::weightedOneOf<double>({
      {1, rc::gen::just(0.0)},
      {2, rc::gen::map(inRange<std::uint64_t>(1, std::uint64_t{1} << 52), bits_to_double)},
      {3, rc::gen::map(inRange<std::uint64_t>(1, 0x7ff0000000000000ull), bits_to_double)},
      {2, rc::gen::element(0x1p-20, static_cast<double>(1e-5f), 0x1.0c6f7ap-20)},
  });
}

RC_GTEST_PROP(ExtremeSlowPath, F64RowsOverTheWholeRange, ()) {
  const auto n = *rc::gen::inRange<std::int64_t>(1, 9);
  NormProblem p = f64_row(*rc::gen::container<std::vector<double>>(static_cast<std::size_t>(n), extreme_f64()),
                          *extreme_eps());
  p.op = *rc::gen::element(Op::layernorm, Op::rmsnorm);
  p.y_format = *rc::gen::element(Format::f64, Format::f32, Format::f16);
  if (*rc::gen::arbitrary<bool>()) p.gamma = *rc::gen::container<std::vector<double>>(static_cast<std::size_t>(n), extreme_f64());
  if (*rc::gen::arbitrary<bool>()) p.beta = *rc::gen::container<std::vector<double>>(static_cast<std::size_t>(n), extreme_f64());
  int min_exponent = 1024;
  int max_exponent = -1075;
  for (const double v : p.x) {
    if (v == 0.0) continue;
    min_exponent = std::min(min_exponent, std::ilogb(v));
    max_exponent = std::max(max_exponent, std::ilogb(v));
  }
  RC_CLASSIFY(min_exponent < -1022, "subnormal x");
  RC_CLASSIFY(max_exponent > 1000, "near-max x");
  RC_CLASSIFY(max_exponent - min_exponent > 1500, "exponents span > 1500 binades");
  RC_CLASSIFY(p.eps != 0.0 && std::ilogb(p.eps) > 2 * max_exponent + 8, "eps dominant");
  RC_ASSERT(testing::compare_with_slow(p) == 0);
  RC_ASSERT(testing::compare_with_slow(p, OracleOptions{.force_exact = true}) == 0);
}

}  // namespace
}  // namespace normcheck::ref
