// The rounding-bias test of `normcheck check`: per-kernel sums of the cases' signed-error
// tallies (harness/signed_error.hpp) and five one-sided tests on them, each with a
// false-alarm bound computed from the number of cases (docs/error-measures.md,
// "Rounding bias"). A kernel whose error stays within its ULP budget but always points
// the same way (truncation instead of rounding to nearest), or moves whole rows together
// (rstd held in half precision), is found here and not by any single case.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "harness/signed_error.hpp"

namespace normcheck::harness {

// The probability that a kernel satisfying the null hypotheses below gets a bias finding
// in one run, whatever the number of cases; split evenly over the five tests.
inline constexpr double kBiasFalseAlarmRate = 1e-6;
// Null hypothesis of the four directional tests: the expected mean signed error of a case
// (each output's clipped to +-1/2 ulp) is at most 1/8 ulp in the tested direction. A correct
// round-to-nearest kernel's is near 0 (its compute error moves it by at most the slack,
// 1/16 ulp); truncation's is about +0.37 ulp toward zero.
inline constexpr double kBiasNullMean = 1.0 / 8;
// Null hypothesis of the row-coherence test: in a case, pairs of misrounded outputs of one
// row (beyond 1/2 ulp + slack) agree in direction, relative to y - beta, at most 1/4 more
// often than they disagree: the expected agreement, (agreeing - disagreeing) / pairs, is at
// most 1/4. It is 0 for misroundings of random direction (stochastic rounding) and 1 for an
// rstd held in half precision. A correct kernel misrounds nothing (it rounds to nearest a
// value within the slack), so its cases do not enter.
inline constexpr double kCoherenceNullAgreement = 1.0 / 4;

enum class BiasTestKind : std::uint8_t { upward, downward, toward_zero, away_from_zero, row_coherent };
inline constexpr std::array kBiasTests = {BiasTestKind::upward, BiasTestKind::downward, BiasTestKind::toward_zero,
                                          BiasTestKind::away_from_zero, BiasTestKind::row_coherent};

// "upward", "downward", "toward-zero", "away-from-zero", "row-coherent".
std::string_view bias_test_name(BiasTestKind kind);

struct BiasTest {
  BiasTestKind kind = BiasTestKind::upward;
  std::int64_t cases = 0;  // the independent units the test averages
  double statistic = 0;    // mean over those cases (ulps; for row-coherent, an agreement in [-1, 1])
  double null_bound = 0;   // the largest expectation the null hypothesis allows
  // The smallest statistic that is a finding with this many cases (+inf when none is: too
  // few cases). statistic < critical is a pass; critical - statistic is its margin.
  double critical = 0;
  double p_value = 1;  // bound on the chance of a statistic this large under the null
};

struct BiasFigures {
  std::int64_t cases = 0;  // cases with at least one output used
  std::int64_t rows = 0;
  std::int64_t outputs = 0;
  double mean_error = 0;            // mean over cases of the case's mean signed error (ulps)
  double mean_toward_zero = 0;      // the same for -sign(y) * e
  double toward_zero_fraction = 0;  // of the nonzero errors, the fraction toward zero (0 when none)
  double misrounded_fraction = 0;   // of the outputs used, beyond 1/2 ulp + compute slack
  std::int64_t misrounded_rows = 0; // rows with two or more misrounded outputs
  double row_coherence = 0;         // of those, the fraction whose misroundings agree (0 when none)
  std::array<BiasTest, kBiasTests.size()> tests{};
  double p_value = 1;  // the smallest test's p-value times the number of tests, at most 1
  BiasTestKind strongest = BiasTestKind::upward;  // that test
  bool finding = false;                           // p_value < kBiasFalseAlarmRate
  // The case and row with the most misroundings in one direction (-1 when none).
  std::int64_t representative_case = -1;
  std::int64_t representative_row = -1;
  std::int64_t representative_agreeing = 0;

  // False when no output qualified (f32 and f64 outputs of same-precision compute).
  bool applicable() const { return cases > 0; }
  const BiasTest& test(BiasTestKind kind) const { return tests[static_cast<std::size_t>(kind)]; }
};

// Sums the tallies of one kernel's cases, in case order.
class BiasAccumulator {
 public:
  void add(const SignedErrorTally& tally, std::int64_t case_index);
  BiasFigures figures() const;

 private:
  std::int64_t cases_ = 0, rows_ = 0, outputs_ = 0, nonzero_ = 0, toward_zero_ = 0, misrounded_ = 0;
  std::int64_t misrounded_rows_ = 0, one_direction_rows_ = 0, coherence_cases_ = 0;
  double sum_mean_error_ = 0, sum_mean_toward_zero_ = 0, sum_coherent_ = 0;
  std::int64_t best_case_ = -1, best_row_ = -1, best_agreeing_ = 0;
  bool best_readable_ = false;
  static constexpr std::int64_t kReadableRow = 64;  // elements of a representative row shown inline
};

// Hoeffding's bound in its relative-entropy form: for n independent values in [0, 1] with
// expectation at most p0, P(mean >= q) <= exp(-n KL(q || p0)) for q >= p0 (1 below p0).
double chernoff_p_value(double mean, double p0, std::int64_t n);
// The smallest mean q >= p0 with exp(-n KL(q || p0)) <= alpha; +inf when even q = 1 is not.
double chernoff_critical(double p0, std::int64_t n, double alpha);

// One line with the figures: the finding's message, and what JSON and tests print.
std::string bias_summary(const BiasFigures& figures);

}  // namespace normcheck::harness
