// What one case adds to a kernel's rounding-bias statistics: sums of the signed errors of
// its outputs, per-row direction tallies and a representative row, never the errors
// themselves. evaluate_case fills it, the worker pipe carries it, and the checker's
// BiasAccumulator (harness/bias_statistics.hpp) tests the sums over many cases
// (docs/error-measures.md, "Rounding bias").
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "harness/measures.hpp"
#include "reference/format.hpp"

namespace normcheck::harness {

// An output enters the statistics only when the compute error its budget allows,
// limit * u_c * A_i, is below this fraction of its output ulp: there the final rounding is
// the output's error and a correct kernel's signed error lies within 1/2 + 1/16 ulp. Where
// the compute precision is not finer than the output's (fp32 compute with f32 output, the
// pure fp16 kernel) the compute rounding itself, coherent across a row through rstd,
// dominates, and no output enters.
inline constexpr double kMaxBiasComputeSlack = 1.0 / 16;

struct SignedErrorTally {
  std::int64_t outputs = 0;        // outputs used
  double sum_error = 0;            // sum of e = (y_kernel - y) / ulp(RN(y)), each clipped to [-1/2, 1/2]
  double sum_toward_zero = 0;      // sum of -sign(y) * e, clipped alike
  std::int64_t nonzero = 0;        // outputs with e != 0
  std::int64_t toward_zero = 0;    // of those, with -sign(y) * e > 0
  std::int64_t misrounded = 0;     // |e| > 1/2 + slack_i: no rounding to nearest of a value within the slack
  std::int64_t rows = 0;           // rows with an output used
  // Row coherence: misrounded outputs counted by the direction of their error relative to
  // y - beta (the direction in which a scaled rstd moves a whole row), up or down, and
  // compared in pairs within each row. Over rows with k = up + down >= 2:
  std::int64_t coherence_pairs = 0;      // sum of k (k - 1): twice the pairs
  std::int64_t coherence_agreement = 0;  // sum of (up - down)^2 - k: twice (agreeing - disagreeing pairs)
  std::int64_t misrounded_rows = 0;     // rows with two or more misrounded outputs
  std::int64_t one_direction_rows = 0;  // of those, rows where all of them agree
  std::int64_t best_row = -1;           // the row with the most misroundings in one direction
  std::int64_t best_row_agreeing = 0;   // how many
  std::int64_t row_length = 0;          // the case's n
};

// Fills a tally output by output, row by row (check_outputs, harness/evaluate.cpp).
class SignedErrorCounter {
 public:
  SignedErrorCounter(ref::Format y_format, std::int64_t row_length) : format_(y_format) {
    tally_.row_length = row_length;
  }

  // One finite output of a finite row: the kernel's value, RN(y) and its ulp, the exact y,
  // beta_i and the absolute compute error the budget allows there (limit * u_c * A_i).
  // Outputs whose RN(y) is zero or subnormal (an absolute ulp) or whose slack is too large
  // are not used.
  // Inline: the judge calls it for every output.
  void add(double got, double rounded, double unit, double exact, double beta, long double compute_error) {
    const auto& t = ref::traits(format_);
    if (!std::isfinite(got) || !std::isfinite(rounded) || !(std::fabs(rounded) >= ref::exact_pow2(t.emin))) return;
    const auto slack = static_cast<double>(compute_error / unit);
    if (!(slack <= kMaxBiasComputeSlack)) return;
    const double e = signed_ulp_error_in(unit, got, exact);
    const double toward_zero = exact > 0 ? -e : e;
    ++tally_.outputs;
    ++row_outputs_;
    tally_.sum_error += clip(e);
    tally_.sum_toward_zero += clip(toward_zero);
    if (e != 0) {
      ++tally_.nonzero;
      if (toward_zero > 0) ++tally_.toward_zero;
    }
    if (std::fabs(e) > 0.5 + slack) {
      ++tally_.misrounded;
      const double outward = exact - beta;  // the sign of gamma * t, which a scaled rstd enlarges
      if (outward * e > 0) ++row_up_;
      if (outward * e < 0) ++row_down_;
    }
  }
  // The same with the unit computed here: ulp(RN(y)).
  void add(double got, double rounded, double exact, double beta, long double compute_error) {
    add(got, rounded, std::isfinite(rounded) ? ref::ulp(format_, rounded) : 0.0, exact, beta, compute_error);
  }
  // Closes the current row (its index in the case).
  void end_row(std::int64_t row);

  const SignedErrorTally& tally() const { return tally_; }

 private:
  // Clipping bounds every case's mean, which the test's inequality needs; for a correct
  // kernel it changes no error beyond the slack.
  static double clip(double e) { return std::clamp(e, -0.5, 0.5); }

  ref::Format format_;
  SignedErrorTally tally_;
  std::int64_t row_outputs_ = 0;
  std::int64_t row_up_ = 0;    // misrounded with sign(y - beta) * e > 0
  std::int64_t row_down_ = 0;  // misrounded with sign(y - beta) * e < 0
};

}  // namespace normcheck::harness
