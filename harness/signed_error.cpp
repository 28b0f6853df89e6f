// Per-case tallies of signed errors for the rounding-bias statistics.
#include "harness/signed_error.hpp"

#include <algorithm>

namespace normcheck::harness {
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
