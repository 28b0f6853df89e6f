// Runs a kernel through the C ABI on a problem: encodes the exact values into the
// kernel's dtypes, calls run(), and decodes the outputs back to exact doubles.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "impls/registry.hpp"
#include "reference/oracle.hpp"

namespace normcheck::harness {

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

// The problem the kernel's declaration says it computes (for generated problems): formats set to the kernel's
// dtypes (values rounded to them), residual dropped for non-fused kernels, residual_sum
// from NORMCHECK_NORMALIZES_ROUNDED_SUM.
ref::NormProblem adapt_problem(const normcheck_kernel& kernel, ref::NormProblem problem);

struct KernelRun {
  // The kernel's status when it is one of the enum's values, else NORMCHECK_ERROR; a C
  // kernel can return any int, and raw_status keeps what it returned, for the message.
  normcheck_status status = NORMCHECK_ERROR;
  int raw_status = NORMCHECK_ERROR;
  std::vector<double> y;             // rows * n
  std::vector<double> residual_out;  // rows * n when the problem has a residual
  std::vector<double> mean, rstd;    // rows when the kernel declares WRITES_STATS
  // Outputs are pre-filled with a sentinel NaN: indices of y that still hold it were
  // never written by the kernel.
  std::vector<std::int64_t> unwritten_y;
  // "" or what the kernel did to memory it does not own: wrote into the guard elements
  // around a buffer, or changed an input.
  std::string memory_violation;
  // "" or the floating-point control state the kernel left changed (rounding mode,
  // flush-to-zero, ...); the runner restored it before anything else ran.
  std::string fp_state_change;
};

// Precondition: kernel_accepts(*kernel.kernel, problem). Declared by normcheck's copy
// (kernel.kernel: dtypes, flags, run), called with the plugin's own entry as self.
KernelRun run_kernel(const impls::KernelInfo& kernel, const ref::NormProblem& problem);

// The same for a kernel that is its own table entry (a built-in's, a test's): self is &kernel.
KernelRun run_kernel(const normcheck_kernel& kernel, const ref::NormProblem& problem);

}  // namespace normcheck::harness
