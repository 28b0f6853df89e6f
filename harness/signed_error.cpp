// Per-case tallies of signed errors for the rounding-bias statistics.
#include "harness/signed_error.hpp"

#include <algorithm>
#include <cmath>

#include "harness/measures.hpp"

namespace normcheck::harness {
namespace {

// Clipping bounds every case's mean, which the test's inequality needs; for a correct
// kernel it changes no error beyond the slack.
double clip(double e) { return std::clamp(e, -0.5, 0.5); }

}  // namespace

void SignedErrorCounter::add(double got, double rounded, double unit, double exact, double beta,
                             long double compute_error) {
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

void SignedErrorCounter::end_row(std::int64_t row) {
  if (row_outputs_ > 0) ++tally_.rows;
  const std::int64_t k = row_up_ + row_down_;
  if (k >= 2) {
    tally_.coherence_pairs += k * (k - 1);
    tally_.coherence_agreement += (row_up_ - row_down_) * (row_up_ - row_down_) - k;
    ++tally_.misrounded_rows;
    if (row_up_ == 0 || row_down_ == 0) ++tally_.one_direction_rows;
  }
  const std::int64_t agreeing = std::max(row_up_, row_down_);
  if (agreeing > tally_.best_row_agreeing) {
    tally_.best_row_agreeing = agreeing;
    tally_.best_row = row;
  }
  row_outputs_ = row_up_ = row_down_ = 0;
}

}  // namespace normcheck::harness
