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

// The forward problem of the pass whose gradient this is: same op, formats (its output
// format is dy's), rows, n, eps, x and gamma, no beta and no residual. Its oracle gives the
// statistics a kernel is handed, and a case file holds a backward case as it plus dy.
NormProblem forward_problem(const BackwardProblem& problem);
// Its inverse: the backward problem of a forward problem's op, formats (dy's is its output
// format), rows, n, eps, x and gamma, with this dy (beta and residual are ignored).
BackwardProblem backward_problem(const NormProblem& forward, std::vector<double> dy);

}  // namespace normcheck::ref
