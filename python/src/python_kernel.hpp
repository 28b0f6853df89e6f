// A Python callable as a kernel of the engine. The trampoline embeds a normcheck_kernel as
// its first member: the ABI passes that struct back to run() as `self`, so run() finds the
// callable from `self` alone and check, replay and the shrinker drive it through the same
// interface as any built-in or plugin kernel.
#pragma once

#include <Python.h>

#include <string>
#include <type_traits>
#include <vector>

#include "normcheck/kernel_abi.h"
#include "impls/registry.hpp"

namespace normcheck::python {

struct PythonKernel {
  normcheck_kernel abi;  // first member: self -> PythonKernel (see from_self)
  // The Python adapter (normcheck/_adapters.py) that turns the ABI buffers into the
  // user's tensors, calls the user's kernel and writes the results back. Owned reference.
  PyObject* adapter = nullptr;
  std::string name;
  // Text of the exceptions the kernel raised, distinct, at most kMaxExceptions of them:
  // a status finding alone would say "status 2" and lose why.
  std::vector<std::string> exceptions;
  static constexpr std::size_t kMaxExceptions = 8;
};
static_assert(std::is_standard_layout_v<PythonKernel>, "run() casts self back to PythonKernel");

// A Python callable's autograd backward as a backward kernel of the engine, the same way:
// the adapter (normcheck/_adapters.py, TorchBackwardAdapter) runs the forward under autograd
// and writes dx, dgamma and dbeta into the ABI's buffers.
struct PythonBackwardKernel {
  normcheck_backward_kernel abi;  // first member: self -> PythonBackwardKernel
  PyObject* adapter = nullptr;    // owned reference
  std::string name;
  std::vector<std::string> exceptions;  // as PythonKernel's
};
static_assert(std::is_standard_layout_v<PythonBackwardKernel>, "run() casts self back to PythonBackwardKernel");

// Fills kernel.abi (name, op, dtypes, flags, run) for an adapter already stored in it.
void init_python_kernel(PythonKernel& kernel, normcheck_op op, normcheck_dtype x, normcheck_dtype param,
                        normcheck_dtype y, uint32_t flags);

void init_python_backward_kernel(PythonBackwardKernel& kernel, normcheck_op op, normcheck_dtype x,
                                 normcheck_dtype param, normcheck_dtype dy);

// The engine's view of the kernel: not thread-safe (the GIL and user code), declared compute.
impls::KernelInfo kernel_info(const PythonKernel& kernel, normcheck_dtype compute);
impls::BackwardKernelInfo backward_kernel_info(const PythonBackwardKernel& kernel, normcheck_dtype compute);

}  // namespace normcheck::python
