// Backward kernels for the harness tests: an honest one that computes the gradients in long
// double from the saved f32 statistics the ABI hands it, as production kernels do (so it
// carries exactly the error the saved-statistics allowance is for), each output rounded
// once; and variants with one defect each, chosen by a BackwardDefect.
#pragma once

#include "impls/registry.hpp"
#include "normcheck/kernel_abi.h"

namespace normcheck::testing {

enum class BackwardDefect {
  none,
  rstd_rounded_to_f16,   // the saved rstd rounded further, to fp16, before use
  mean_g_twice,          // dx subtracts mean(g) twice
  last_row_only,         // dgamma / dbeta keep only the last row's terms
  dgamma_unwritten,      // dgamma left as it was
  error_status,          // computes everything, then returns NORMCHECK_ERROR
  writes_past_dx,        // one element past the end of dx
  recomputes_stats,      // ignores the saved statistics: recomputes mean and rstd from x in long double (more accurate)
  crashes_on_wide_rows,  // SIGSEGV when n >= 3: isolation and shrinking of a crash
};

// A kernel struct plus the BackwardKernelInfo the harness takes.
struct TestBackwardKernel {
  normcheck_backward_kernel kernel{};
  BackwardDefect defect;
  impls::BackwardKernelInfo info;

  TestBackwardKernel(const char* name, normcheck_op op, normcheck_dtype x, normcheck_dtype param, normcheck_dtype dy,
                     BackwardDefect how = BackwardDefect::none);
  TestBackwardKernel(const TestBackwardKernel&) = delete;
  TestBackwardKernel& operator=(const TestBackwardKernel&) = delete;
};

}  // namespace normcheck::testing
