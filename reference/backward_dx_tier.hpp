// The double tier of dx (docs/oracle.md, "dx: the double tier and its bound"): a lane-wise
// evaluation with a proven error bound and the rounding test per element, in two passes over
// the row (the compensated sums, then every element).
#pragma once

#include <cstddef>
#include <vector>

#include "reference/backward_dx.hpp"
#include "reference/format.hpp"
#include "reference/scaled_row_sums.hpp"

namespace normcheck::ref::detail {

// For a row inside the tier's ranges: writes dx[i] = RN_format(exact dx_i) and dx_exact[i] (the
// approximation, within 2^-10 of an output ulp) for every element the bound certifies, appends
// the others' indices to undecided (the exact path's work), and returns true. Otherwise (a row
// outside the ranges, or an f64 format, which the bound of a few f64 ulps never certifies)
// returns false and leaves the outputs alone. automatic uses four AVX2 lanes where the CPU has
// them; portable (two SSE2 lanes) is for tests.
bool dx_double_tier(const BackwardRow& row, Format format, double* dx, double* dx_exact,
                    std::vector<std::size_t>& undecided, LaneKernel lanes = LaneKernel::automatic);

}  // namespace normcheck::ref::detail
