// The column sums of the backward pass, correctly rounded: dbeta_j = sum_r dy_rj (a dyadic
// sum) and dgamma_j = sum_r dy_rj D_rj / sqrt(V_r) (a sum of square roots). Each has a double
// tier with a proven bound and an exact fallback (docs/oracle.md, "The backward pass").
#pragma once

#include <cstdint>
#include <vector>

#include "reference/backward_dx.hpp"

namespace normcheck::ref::detail {

// Which columns to compute, and the sign of an exact zero sum in each (IEEE: -0 only when
// every term is -0). Columns not needed (special values, set by the caller) are left alone.
struct ColumnPlan {
  std::vector<char> needed;
  std::vector<char> zero_is_negative;
};

// dbeta over all rows of dy (rows * n, row-major; finite in every needed column). Returns how
// many columns the exact path decided.
std::int64_t dbeta_columns(const double* dy, std::int64_t rows, std::int64_t n, Format format, bool force_exact,
                   const ColumnPlan& plan, double* out, double* out_exact);

// The dgamma loop's precision: from kDgammaStartBits, doubling, up to kDgammaCapBits.
inline constexpr long kDgammaStartBits = 128;
inline constexpr long kDgammaCapBits = 1L << 16;

// dgamma over the rows with finite x and V > 0 (dy finite in every needed column). Returns the
// number of columns whose interval loop reached kDgammaCapBits undecided; exact_count gets the
// number the exact paths decided.
std::int64_t dgamma_columns(const std::vector<BackwardRow>& rows, std::int64_t n, Format format, bool force_exact,
                            const ColumnPlan& plan, double* out, double* out_exact, std::int64_t& exact_count);

}  // namespace normcheck::ref::detail
