// The backward problem the oracle solves: the exact gradient of LayerNorm / RMSNorm at x with
// respect to x, gamma and beta, given the gradient dy of the forward output. A type with no
// behaviour, mirroring normcheck_backward_problem (docs/abi.md) with every value held exactly.
#pragma once

#include <cstdint>
#include <vector>

#include "reference/format.hpp"
#include "reference/problem.hpp"

namespace normcheck::ref {

// Values must be representable in their formats: x in x_format, dy in dy_format, gamma in
// param_format. dx is in x_format, dgamma and dbeta in param_format (the ABI's buffers).
// The ABI's saved mean / rstd inputs are not part of it: the exact gradient is that of the
// exact forward at x, whatever statistics a kernel is handed (they are the forward oracle's
// mean and rstd rounded to f32, which the harness derives from the forward problem).
struct BackwardProblem {
  Op op = Op::layernorm;
  Format x_format = Format::f32;
  Format param_format = Format::f32;
  Format dy_format = Format::f32;  // the kernel's y_dtype
  std::int64_t rows = 1;
  std::int64_t n = 1;
  double eps = 0.0;               // exact binary value, >= 0
  std::vector<double> x;          // rows * n, row-major: the input the forward normalized
  std::vector<double> dy;         // rows * n: the gradient of the forward output
  std::vector<double> gamma;      // empty (= ones), or n
};

}  // namespace normcheck::ref
