// What a kernel declares it computes (op, dtypes, residual form) and how a problem is
// matched to that declaration. The generators, the fuzzers and the replay read this
// without the runner.
#pragma once

#include <string>

#include "normcheck/kernel_abi.h"
#include "reference/backward_problem.hpp"
#include "reference/problem.hpp"

namespace normcheck::harness {

// The reference's names of the ABI's dtypes and ops (the same numbering, docs/abi.md).
inline ref::Format format_of(normcheck_dtype dtype) { return static_cast<ref::Format>(dtype); }
inline ref::Op op_of(normcheck_op op) { return static_cast<ref::Op>(op); }

// What a kernel declares it computes: op, formats and residual form. The generators and
// the fuzzers build problems of this shape.
struct KernelShape {
  ref::Op op = ref::Op::layernorm;
  ref::Format x_format = ref::Format::f32;
  ref::Format param_format = ref::Format::f32;
  ref::Format y_format = ref::Format::f32;
  bool fused = false;  // takes a residual
  ref::ResidualSum residual_sum = ref::ResidualSum::exact;
};
KernelShape kernel_shape(const normcheck_kernel& kernel);

// Whether the problem matches the kernel's op and dtypes, and carries a residual only
// when the kernel is fused.
bool kernel_accepts(const normcheck_kernel& kernel, const ref::NormProblem& problem);

// "" when the problem is exactly one the kernel computes as written: same op and x /
// param / y dtypes, a residual only for a fused kernel, and then the residual_sum the
// kernel declares (NORMCHECK_NORMALIZES_ROUNDED_SUM). Otherwise why not, as
// "case is <op> <dtypes>..., kernel takes ...". Replaying a saved case must check that
// case, so it runs only where this is "" (adapt_problem would silently change it).
std::string problem_mismatch(const normcheck_kernel& kernel, const ref::NormProblem& problem);
// The same for a backward kernel and a backward problem: op and x / param / dy dtypes.
std::string problem_mismatch(const normcheck_backward_kernel& kernel, const ref::BackwardProblem& problem);

// The problem the kernel's declaration says it computes (for generated problems): formats set to the kernel's
// dtypes (values rounded to them), residual dropped for non-fused kernels, residual_sum
// from NORMCHECK_NORMALIZES_ROUNDED_SUM.
ref::NormProblem adapt_problem(const normcheck_kernel& kernel, ref::NormProblem problem);

}  // namespace normcheck::harness
