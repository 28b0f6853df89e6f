// The oracle bench's baseline: a textbook fp64 two-pass LayerNorm (not correctly rounded), the
// yardstick of bench/README.md's "within 4x" target. Its own translation unit, compiled at -O2.
#pragma once

#include <cstdint>
#include <vector>

#include "reference/problem.hpp"

namespace normcheck::bench {

// y[r*n + i] = (x - mean) / sqrt(var + eps) * gamma_i + beta_i in fp64, then one conversion to
// the y format: the native (float) cast for f32, the project's inline rounding for f16 / bf16
// (C++20 has no f16 type before C++23). Stored as float, which holds every f16 / bf16 value.
void plain_fp64_two_pass(const ref::NormProblem& p, std::vector<float>& y);

}  // namespace normcheck::bench
