// A gradient orthogonal to xhat: the dy for which the mean(g * xhat) term of dx cancels
// (exactly, where dy's format can hold it), the cancellation a backward kernel must
// survive. Shared by the backward generator (properties/backward_problem_gen.hpp) and the
// backward fuzz target's decoding (fuzz/dy_forms.hpp).
#pragma once

#include <cstdint>
#include <vector>

#include "reference/format.hpp"
#include "reference/problem.hpp"

namespace normcheck::harness {

// sum_i dy_i xhat_i = 0 exactly for each finite row of x, where dy's format can hold the
// values (mostly, when it holds x's; else as close as rounding dy allows). RMSNorm's xhat is
// proportional to x, and pairs (i, i + n/2) take dy = s (x_j, -x_i): partners half a row
// apart, across the blocks of a blocked reduction. LayerNorm's is proportional to x - mean,
// and triples of neighbours in x's sorted order (scattered over the row; their differences
// mostly exact, by Sterbenz) take s times the cross product of (1, 1, 1) and their x,
// orthogonal to the ones and to x, hence to x - mean. s is a power of two putting the
// largest |dy| in [2^k, 2^(k+1)); a pair or triple that dy's format cannot hold exactly
// takes 0 (exactness kept), unless that would leave the row all zero (then rounded: close
// to orthogonal). Elements left over take 0. LayerNorm rows shorter than 3, and constant
// rows, are constant (xhat sums to 0); rows of x with a NaN or an infinity keep their
// ordinary dy.
// x and dy are rows * n, row-major; dy's values are replaced row by row (op: which xhat).
std::vector<double> orthogonal_dy(ref::Op op, ref::Format dy_format, const std::vector<double>& x, std::int64_t n,
                                  std::vector<double> dy, int k);

}  // namespace normcheck::harness
