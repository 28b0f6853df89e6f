// Kernels for the harness tests, all answered by the oracle: a "perfect" kernel of any
// formats whose answer a Tamper may change (the broken variants of the evaluator's tests),
// and fixed f32 LayerNorm kernels for the checking engine's tests (one that crashes, one that
// hangs, one wrong only for n >= 5 so that shrinking has somewhere to go, ...).
#pragma once

#include <cstdint>
#include <functional>

#include "impls/registry.hpp"
#include "normcheck/kernel_abi.h"
#include "reference/oracle.hpp"

namespace normcheck::testing {

// What a test kernel may change about the perfect answer before it is written.
struct Tamper {
  std::function<void(const ref::NormProblem&, ref::OracleResult&)> outputs;
  std::function<normcheck_status(const ref::NormProblem&)> status;
  bool skip_last_y = false;
  bool write_before_y = false;
};

// Writes the oracle's answer, tampered with by the Tamper in self->context when there is
// one: with none, a kernel that is exactly right.
normcheck_status perfect_run(const normcheck_kernel* self, const normcheck_problem* p);

// A kernel struct plus the KernelInfo the harness takes; owns its Tamper.
struct TestKernel {
  normcheck_kernel kernel{};
  Tamper tamper;
  impls::KernelInfo info;

  TestKernel(const char* name, normcheck_op op, normcheck_dtype x, normcheck_dtype param,
             normcheck_dtype y, std::uint32_t flags, Tamper how = {})
      : tamper(std::move(how)) {
    kernel = normcheck_kernel{name, op, x, param, y, flags, &tamper, &perfect_run};
    info.kernel = &kernel;
    info.compute = NORMCHECK_F32;
    info.origin = impls::KernelOrigin::builtin;
  }
  TestKernel(const TestKernel&) = delete;
  TestKernel& operator=(const TestKernel&) = delete;
};

// f32 LayerNorm kernels with program lifetime, as a registry's are.
impls::KernelInfo crashing_kernel();        // raises SIGSEGV on every call
impls::KernelInfo hanging_kernel();         // spins forever on every call
impls::KernelInfo crash_on_nan_kernel();    // crashes only when x holds a NaN
impls::KernelInfo wrong_for_wide_rows();    // y off by a large amount when n >= 5
impls::KernelInfo oracle_kernel();          // answered by the oracle itself (always passes)
impls::KernelInfo unsupported_kernel();     // answers NORMCHECK_UNSUPPORTED to every problem

// The built-in kernel (or mutant) of that name; a test failure, and an exception, if none.
const impls::KernelInfo& builtin_kernel(const char* name);

}  // namespace normcheck::testing
