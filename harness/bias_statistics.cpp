// The rounding-bias tests; docs/error-measures.md, "Rounding bias", gives the reasoning.
#include "harness/bias_statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace normcheck::harness {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// KL(q || p) between Bernoulli laws, with 0 log 0 = 0.
double relative_entropy(double q, double p) {
  const auto term = [](double a, double b) { return a == 0 ? 0.0 : a * std::log(a / b); };
  return term(q, p) + term(1 - q, 1 - p);
}

// Each test's share of the false-alarm rate (Bonferroni over the five).
constexpr double kPerTestRate = kBiasFalseAlarmRate / static_cast<double>(kBiasTests.size());

// A test on case values in [lo, -lo] (mapped onto [0, 1]) against expectation <= null.
BiasTest run_test(BiasTestKind kind, double mean, double lo, double null, std::int64_t n) {
  const double width = -2 * lo;
  const auto unit = [&](double v) { return (v - lo) / width; };
  BiasTest t;
  t.kind = kind;
  t.cases = n;
  t.statistic = mean;
  t.null_bound = null;
  t.critical = n == 0 ? kInf : lo + width * chernoff_critical(unit(null), n, kPerTestRate);
  t.p_value = n == 0 ? 1.0 : chernoff_p_value(unit(mean), unit(null), n);
  return t;
}

double ratio(std::int64_t part, std::int64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

}  // namespace

std::string_view bias_test_name(BiasTestKind kind) {
  switch (kind) {
    case BiasTestKind::upward: return "upward";
    case BiasTestKind::downward: return "downward";
    case BiasTestKind::toward_zero: return "toward-zero";
    case BiasTestKind::away_from_zero: return "away-from-zero";
    case BiasTestKind::row_coherent: return "row-coherent";
  }
  return "unknown";
}

double chernoff_p_value(double mean, double p0, std::int64_t n) {
  if (n <= 0 || !(mean > p0)) return 1.0;
  return std::exp(-static_cast<double>(n) * relative_entropy(std::min(mean, 1.0), p0));
}

double chernoff_critical(double p0, std::int64_t n, double alpha) {
  if (n <= 0) return kInf;
  const double needed = -std::log(alpha) / static_cast<double>(n);
  if (relative_entropy(1.0, p0) < needed) return kInf;
  // KL(q || p0) increases with q on [p0, 1]: bisection to double precision.
  double lo = p0, hi = 1.0;
  for (int i = 0; i < 100 && hi - lo > 1e-15; ++i) {
    const double mid = (lo + hi) / 2;
    (relative_entropy(mid, p0) >= needed ? hi : lo) = mid;
  }
  return hi;
}

void BiasAccumulator::add(const SignedErrorTally& t, std::int64_t case_index) {
  if (t.outputs == 0) return;
  const auto outputs = static_cast<double>(t.outputs);
  ++cases_;
  rows_ += t.rows;
  outputs_ += t.outputs;
  nonzero_ += t.nonzero;
  toward_zero_ += t.toward_zero;
  misrounded_ += t.misrounded;
  misrounded_rows_ += t.misrounded_rows;
  one_direction_rows_ += t.one_direction_rows;
  // The case, not the output, is the independent draw: its outputs share rows, gamma, beta
  // and eps. Each case adds its mean.
  sum_mean_error_ += t.sum_error / outputs;
  sum_mean_toward_zero_ += t.sum_toward_zero / outputs;
  if (t.coherence_pairs > 0) {
    // In [-1, 1]: +1 when every pair of misroundings in a row agrees, 0 in expectation when
    // their directions are independent fair coins, whatever their number.
    ++coherence_cases_;
    sum_coherent_ += static_cast<double>(t.coherence_agreement) / static_cast<double>(t.coherence_pairs);
  }
  // The representative row: the most misroundings in one direction, among rows short
  // enough to read (kReadableRow) while any of those has one.
  const bool readable = t.row_length <= kReadableRow;
  const bool better = readable != best_readable_ ? readable && t.best_row_agreeing > 0
                                                 : t.best_row_agreeing > best_agreeing_;
  if (better) {
    best_agreeing_ = t.best_row_agreeing;
    best_readable_ = readable;
    best_case_ = case_index;
    best_row_ = t.best_row;
  }
  if (best_case_ < 0) best_case_ = case_index;  // a row of the first case used, until misroundings show
  if (best_row_ < 0) best_row_ = 0;
}

BiasFigures BiasAccumulator::figures() const {
  BiasFigures f;
  f.cases = cases_;
  f.rows = rows_;
  f.outputs = outputs_;
  const double n = cases_ == 0 ? 1.0 : static_cast<double>(cases_);
  f.mean_error = sum_mean_error_ / n;
  f.mean_toward_zero = sum_mean_toward_zero_ / n;
  f.toward_zero_fraction = ratio(toward_zero_, nonzero_);
  f.misrounded_fraction = ratio(misrounded_, outputs_);
  f.misrounded_rows = misrounded_rows_;
  f.row_coherence = ratio(one_direction_rows_, misrounded_rows_);
  const double coherent = coherence_cases_ == 0 ? 0.0 : sum_coherent_ / static_cast<double>(coherence_cases_);
  // Case means of signed errors lie in [-1/2, 1/2]; each direction is tested on its own.
  f.tests = {run_test(BiasTestKind::upward, f.mean_error, -0.5, kBiasNullMean, cases_),
             run_test(BiasTestKind::downward, -f.mean_error, -0.5, kBiasNullMean, cases_),
             run_test(BiasTestKind::toward_zero, f.mean_toward_zero, -0.5, kBiasNullMean, cases_),
             run_test(BiasTestKind::away_from_zero, -f.mean_toward_zero, -0.5, kBiasNullMean, cases_),
             run_test(BiasTestKind::row_coherent, coherent, -1.0, kCoherenceNullAgreement, coherence_cases_)};
  // The smallest p-value; among tests at p = 1 (every test of a correct kernel), the one
  // that went furthest from its null bound toward its critical value.
  const auto progress = [](const BiasTest& t) {
    return std::isfinite(t.critical) ? (t.statistic - t.null_bound) / (t.critical - t.null_bound) : -kInf;
  };
  const auto strongest = std::min_element(f.tests.begin(), f.tests.end(), [&](const BiasTest& a, const BiasTest& b) {
    if (a.p_value != b.p_value) return a.p_value < b.p_value;
    return progress(a) > progress(b);
  });
  f.strongest = strongest->kind;
  f.p_value = std::min(1.0, strongest->p_value * static_cast<double>(kBiasTests.size()));
  f.finding = f.p_value < kBiasFalseAlarmRate;
  f.representative_case = best_case_;
  f.representative_row = best_row_;
  f.representative_agreeing = best_agreeing_;
  return f;
}

std::string bias_summary(const BiasFigures& f) {
  if (!f.applicable()) return "not applicable: no output's compute slack is below 1/16 ulp";
  const BiasTest& s = f.test(f.strongest);
  const BiasTest& c = f.test(BiasTestKind::row_coherent);
  const std::string coherence =
      f.misrounded_rows == 0 ? "no row misrounded twice"
                             : fmt::format("{:.0f}% of the {} rows misrounded twice or more in one direction",
                                           100 * f.row_coherence, f.misrounded_rows);
  return fmt::format(
      "mean signed error {:+.3f} ulp, toward zero {:+.3f} ulp ({:.0f}% of nonzero errors toward zero); "
      "{:.2f}% of outputs misrounded beyond 1/2 ulp + compute slack, their row agreement {:+.3f}, {}; "
      "{} cases, {} rows, {} outputs; strongest test {} ({:+.3f}, a finding above {:.3f}): p = {:.2g} "
      "(false-alarm rate {:.0e})",
      f.mean_error, f.mean_toward_zero, 100 * f.toward_zero_fraction, 100 * f.misrounded_fraction, c.statistic,
      coherence, f.cases, f.rows, f.outputs, bias_test_name(s.kind), s.statistic, s.critical, f.p_value,
      kBiasFalseAlarmRate);
}

}  // namespace normcheck::harness
