// dx of one row whose x, g = gamma * dy are finite and whose V > 0: a double evaluation with a
// proven error bound decides most elements, exact integer comparisons the rest.
#pragma once

#include <boost/multiprecision/gmp.hpp>
#include <cstdint>
#include <vector>

#include "reference/backward_exact.hpp"
#include "reference/exact_stats.hpp"
#include "reference/scaled_row_sums.hpp"

namespace normcheck::ref::detail {

// One row of a backward problem: the forward row (for the statistics) and its dy.
struct BackwardRow {
  RowInput input;
  const ExactRowStats* stats = nullptr;
  const double* dy = nullptr;
  const double* gamma = nullptr;  // null: ones
};

// Per-row storage reused across rows (no allocation once warm).
struct DxScratch {
  std::vector<std::size_t> undecided;  // the elements left to the exact path
  std::vector<mpz_int> scaled_g, exact_deviation;
  mpz_int sum_g, dot, v_cubed, numerator, tmp, scratch;
  BackwardComparator comparator;
};

// Writes dx and dx_exact (n values each) of the row, rounded to format; returns how many
// elements the exact path decided. lanes picks the double tier's vector kernel (tests compare
// both).
std::int64_t backward_dx_row(const BackwardRow& row, Format format, bool force_exact, DxScratch& scratch,
                             double* dx, double* dx_exact, LaneKernel lanes = LaneKernel::automatic);

}  // namespace normcheck::ref::detail
