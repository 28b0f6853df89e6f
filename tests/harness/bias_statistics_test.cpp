// The rounding-bias statistic on synthetic outputs: the bound itself, unbiased rounding
// never found over many seeds, and each kind of bias found by its own test.
#include "harness/bias_statistics.hpp"

#include <cmath>
#include <cstdio>
#include <functional>
#include <random>

#include <gtest/gtest.h>

#include "harness/signed_error.hpp"
#include "reference/format.hpp"

namespace normcheck::harness {
namespace {

constexpr ref::Format kF16 = ref::Format::f16;

TEST(ChernoffBound, PValueAndCriticalAgree) {
  EXPECT_EQ(chernoff_p_value(0.5, 0.5, 100), 1.0);  // at or below the null: no evidence
  EXPECT_EQ(chernoff_p_value(0.4, 0.5, 100), 1.0);
  EXPECT_EQ(chernoff_p_value(0.9, 0.5, 0), 1.0);
  // All n values at 1 against p0: P = p0^n exactly (the bound is tight there).
  EXPECT_NEAR(chernoff_p_value(1.0, 0.5, 20), std::ldexp(1.0, -20), 1e-12);
  EXPECT_LT(chernoff_p_value(0.8, 0.625, 1000), chernoff_p_value(0.8, 0.625, 100));
  const double critical = chernoff_critical(0.625, 1000, 2e-7);
  EXPECT_GT(critical, 0.625);
  EXPECT_NEAR(chernoff_p_value(critical, 0.625, 1000), 2e-7, 1e-9);
  // Too few values: even all at 1 cannot reach the rate.
  EXPECT_TRUE(std::isinf(chernoff_critical(0.625, 20, 2e-7)));
}

// How a synthetic kernel turns the exact y into its f16 output.
using Rounding = std::function<double(double y, double row_factor, std::mt19937_64& rng)>;

double round_to_nearest(double y, double, std::mt19937_64&) { return ref::round_to_format(kF16, y); }

double toward_zero(double y, double, std::mt19937_64&) {
  const double rn = ref::round_to_format(kF16, y);
  if (std::fabs(rn) <= std::fabs(y)) return rn;
  return y > 0 ? ref::next_down(kF16, rn) : ref::next_up(kF16, rn);
}

double upward(double y, double, std::mt19937_64&) {
  const double rn = ref::round_to_format(kF16, y);
  return rn >= y ? rn : ref::next_up(kF16, rn);
}

// Every output of a row scaled by the row's own error before rounding (rstd in half precision).
double row_scaled(double y, double row_factor, std::mt19937_64&) { return ref::round_to_format(kF16, y * row_factor); }

// Stochastic rounding: up with probability equal to the fraction; unbiased, not nearest.
double stochastic(double y, double, std::mt19937_64& rng) {
  const double rn = ref::round_to_format(kF16, y);
  const double below = rn <= y ? rn : ref::next_down(kF16, rn);
  const double above = rn >= y ? rn : ref::next_up(kF16, rn);
  if (below == above) return rn;
  return std::uniform_real_distribution<double>(0, 1)(rng) < (y - below) / (above - below) ? above : below;
}

// 1000 cases like the gate's: 1 to 4 rows of 1 to 64 outputs, |y| log-uniform over 2^-4..2^4
// with either sign, beta 0, and rows scaled by 1 + d, d uniform within +-2^-12 (used only by
// row_scaled).
BiasFigures synthetic_run(const Rounding& rounding, std::uint64_t seed, std::int64_t cases = 1000) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> rows_of(1, 4), n_of(1, 64), sign_of(0, 1);
  std::uniform_real_distribution<double> exponent_of(-4, 4), factor_of(-0x1p-12, 0x1p-12);
  BiasAccumulator accumulator;
  for (std::int64_t c = 0; c < cases; ++c) {
    const int rows = rows_of(rng), n = n_of(rng);
    SignedErrorCounter counter(kF16, n);
    for (int r = 0; r < rows; ++r) {
      const double factor = 1 + factor_of(rng);
      for (int i = 0; i < n; ++i) {
        const double y = (sign_of(rng) != 0 ? -1 : 1) * std::exp2(exponent_of(rng));
        counter.add(rounding(y, factor, rng), ref::round_to_format(kF16, y), y, 0.0, 0.0L);
      }
      counter.end_row(r);
    }
    accumulator.add(counter.tally(), c);
  }
  return accumulator.figures();
}

TEST(BiasStatistics, RoundingToNearestIsNeverFound) {
  double worst = 1;
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    const BiasFigures f = synthetic_run(round_to_nearest, seed);
    EXPECT_FALSE(f.finding) << "seed " << seed << ": " << bias_summary(f);
    EXPECT_EQ(f.misrounded_fraction, 0.0) << "seed " << seed;
    worst = std::min(worst, f.p_value);
  }
  std::printf("  round to nearest, 100 seeds of 1000 cases: smallest p-value %.3g (a finding below %.0e)\n", worst,
              kBiasFalseAlarmRate);
}

TEST(BiasStatistics, EachKindOfBiasIsFoundByItsTest) {
  struct Expected {
    const char* name;
    Rounding rounding;
    BiasTestKind test;
  };
  const Expected kinds[] = {{"toward zero", toward_zero, BiasTestKind::toward_zero},
                            {"upward", upward, BiasTestKind::upward},
                            {"rows scaled", row_scaled, BiasTestKind::row_coherent}};
  for (const auto& kind : kinds) {
    const BiasFigures f = synthetic_run(kind.rounding, 7);
    std::printf("  %-12s %s\n", kind.name, bias_summary(f).c_str());
    EXPECT_TRUE(f.finding) << kind.name;
    EXPECT_LT(f.test(kind.test).p_value, kBiasFalseAlarmRate / 5) << kind.name << ": " << bias_test_name(kind.test);
  }
  // Truncation's expected clipped error toward zero is 3/8 ulp; the rows' scaling none.
  EXPECT_NEAR(synthetic_run(toward_zero, 8).mean_toward_zero, 0.375, 0.02);
  const BiasFigures scaled = synthetic_run(row_scaled, 8);
  EXPECT_NEAR(scaled.mean_error, 0, 0.02);
  EXPECT_GT(scaled.row_coherence, 0.95);
}

// Unbiased but not round-to-nearest: misroundings without a direction. Neither the
// directional tests nor the row test (whose agreement is 0 for random directions) find it;
// that this kernel misrounds is told by its figures, not by a finding.
TEST(BiasStatistics, StochasticRoundingIsNotABias) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const BiasFigures f = synthetic_run(stochastic, seed);
    if (seed == 1) std::printf("  stochastic   %s\n", bias_summary(f).c_str());
    EXPECT_FALSE(f.finding) << bias_summary(f);
    EXPECT_GT(f.misrounded_fraction, 0.1);
    EXPECT_NEAR(f.test(BiasTestKind::row_coherent).statistic, 0, 0.05);
  }
}

// Five cases of truncation: too few for any test, however clear each case is.
TEST(BiasStatistics, TooFewCasesAreNeverAFinding) {
  const BiasFigures f = synthetic_run(toward_zero, 3, 5);
  EXPECT_FALSE(f.finding) << bias_summary(f);
  EXPECT_TRUE(std::isinf(f.test(BiasTestKind::toward_zero).critical));
}

TEST(BiasStatistics, NoOutputUsedIsNotApplicable) {
  SignedErrorCounter counter(kF16, 2);
  counter.add(0x1p-20, 0x1p-20, 0x1p-20, 0, 0);              // subnormal in f16: an absolute ulp
  counter.add(1.0, 1.0, 1.0 + 0x1p-13, 0, 0x1p-12L);          // slack 1/4 ulp: compute error dominates
  counter.end_row(0);
  EXPECT_EQ(counter.tally().outputs, 0);
  BiasAccumulator accumulator;
  accumulator.add(counter.tally(), 0);
  EXPECT_FALSE(accumulator.figures().applicable());
  EXPECT_FALSE(accumulator.figures().finding);
}

TEST(SignedErrorCounter, CountsMisroundingsByRowDirection) {
  SignedErrorCounter counter(kF16, 4);
  const double u = 0x1p-10;  // f16 ulp in [1, 2)
  // Row 0: y - beta > 0 and y - beta < 0, each output a full ulp outward: one direction.
  counter.add(1.5 + u, 1.5, 1.5, 0, 0);
  counter.add(-1.5 - u, -1.5, -1.5, 0, 0);
  counter.add(1.25 + u, 1.25, 1.25, 0, 0);
  counter.add(1.75, 1.75, 1.75, 0, 0);  // exact: not misrounded
  counter.end_row(0);
  // Row 1: one outward, one inward.
  counter.add(1.5 + u, 1.5, 1.5, 0, 0);
  counter.add(1.5 - u, 1.5, 1.5, 0, 0);
  counter.end_row(1);
  const SignedErrorTally& t = counter.tally();
  EXPECT_EQ(t.outputs, 6);
  EXPECT_EQ(t.misrounded, 5);
  EXPECT_EQ(t.misrounded_rows, 2);
  EXPECT_EQ(t.one_direction_rows, 1);
  EXPECT_EQ(t.coherence_pairs, 3 * 2 + 2 * 1);
  EXPECT_EQ(t.coherence_agreement, (9 - 3) + (0 - 2));  // row 0: 3 pairs agree; row 1: 1 disagrees
  EXPECT_EQ(t.best_row, 0);
  EXPECT_EQ(t.best_row_agreeing, 3);
  EXPECT_EQ(t.toward_zero, 1);  // 1.5 - u
  EXPECT_DOUBLE_EQ(t.sum_error, 0.5 - 0.5 + 0.5 + 0 + 0.5 - 0.5);  // clipped to +-1/2
}

}  // namespace
}  // namespace normcheck::harness
