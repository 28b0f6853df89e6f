// Runs a kernel through the C ABI on a problem: encodes the exact values into the
// kernel's dtypes, calls run(), and decodes the outputs back to exact doubles.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/kernel_shape.hpp"
#include "impls/registry.hpp"
#include "reference/oracle.hpp"

namespace normcheck::harness {

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
