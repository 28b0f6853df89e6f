// Deterministic test data for the harness tests: a small generator and ordinary problems.
#pragma once

#include <cstdint>

#include "reference/oracle.hpp"

namespace normcheck::testing {

// A small deterministic generator (tests must not depend on the std engines' output).
class Lcg {
 public:
  explicit Lcg(std::uint64_t seed) : state_(seed * 2 + 1) {}
  std::uint64_t next() {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return state_ >> 11;
  }
  // Uniform in [-1, 1).
  double symmetric() { return static_cast<double>(next()) * 0x1p-52 - 1.0; }

 private:
  std::uint64_t state_;
};

// An ordinary problem: values around `center` with spread `spread`, rounded to the formats.
inline ref::NormProblem ordinary_problem(ref::Op op, ref::Format x_format, ref::Format param_format,
                                         ref::Format y_format, std::int64_t rows, std::int64_t n,
                                         std::uint64_t seed, double center = 0.25, double spread = 2.0,
                                         bool params = true) {
  Lcg rng(seed);
  ref::NormProblem p;
  p.op = op;
  p.x_format = x_format;
  p.param_format = param_format;
  p.y_format = y_format;
  p.rows = rows;
  p.n = n;
  p.eps = 0x1.4f8b58p-17;  // ~1e-5, exactly an f32
  for (std::int64_t i = 0; i < rows * n; ++i) {
    p.x.push_back(ref::round_to_format(x_format, center + spread * rng.symmetric()));
  }
  if (params) {
    for (std::int64_t i = 0; i < n; ++i) {
      p.gamma.push_back(ref::round_to_format(param_format, 1.0 + 0.5 * rng.symmetric()));
      p.beta.push_back(ref::round_to_format(param_format, 0.25 * rng.symmetric()));
    }
  }
  return p;
}

}  // namespace normcheck::testing
