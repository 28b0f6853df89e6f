// Each kernel family appends its table entries; the registry calls these in a fixed order.
#pragma once
#include <vector>

#include "impls/registry.hpp"

namespace normcheck::impls {

void append_layernorm_kernels(std::vector<KernelInfo>& out);
void append_welford_kernels(std::vector<KernelInfo>& out);
void append_pure_half_kernels(std::vector<KernelInfo>& out);
void append_rmsnorm_kernels(std::vector<KernelInfo>& out);
void append_fused_kernels(std::vector<KernelInfo>& out);
void append_onednn_kernels(std::vector<KernelInfo>& out);  // only when built with oneDNN

// Built-in kernels keep no state outside their arguments, so they are all thread-safe.
inline KernelInfo builtin(const normcheck_kernel& kernel, normcheck_dtype compute = NORMCHECK_F32) {
  KernelInfo info{&kernel, false, {}, compute, KernelOrigin::builtin};
  info.thread_safe = true;
  return info;
}

// The backward kernel families (ABI version 2), in impls/kernels/backward_kernels.cpp.
void append_layernorm_backward_kernels(std::vector<BackwardKernelInfo>& out);
void append_rmsnorm_backward_kernels(std::vector<BackwardKernelInfo>& out);

// Backward kernels declare what they are in their flags (thread safety, compute precision).
inline constexpr uint32_t kBackwardF32Flags = NORMCHECK_THREAD_SAFE | NORMCHECK_COMPUTE(NORMCHECK_F32);

inline BackwardKernelInfo backward_info(const normcheck_backward_kernel& kernel, const char* bug_class) {
  BackwardKernelInfo info;
  info.kernel = &kernel;
  info.mutant = bug_class != nullptr;
  if (bug_class != nullptr) info.bug_class = bug_class;
  const normcheck_dtype declared = NORMCHECK_COMPUTE_OF(kernel.flags);
  info.compute = declared == 0 ? NORMCHECK_F32 : declared;
  info.thread_safe = (kernel.flags & NORMCHECK_THREAD_SAFE) != 0;
  return info;
}
inline BackwardKernelInfo builtin_backward(const normcheck_backward_kernel& kernel) {
  return backward_info(kernel, nullptr);
}

}  // namespace normcheck::impls

namespace normcheck::impls {

inline KernelInfo mutant(const normcheck_kernel& kernel, const char* bug_class,
                         normcheck_dtype compute = NORMCHECK_F32) {
  return KernelInfo{&kernel, true, bug_class, compute, KernelOrigin::builtin};
}

// The mutant groups, in impls/mutants/.
void append_variance_mutants(std::vector<KernelInfo>& out);
void append_epsilon_mutants(std::vector<KernelInfo>& out);
void append_affine_mutants(std::vector<KernelInfo>& out);
void append_fused_mutants(std::vector<KernelInfo>& out);
void append_overflow_mutants(std::vector<KernelInfo>& out);
void append_rounding_mutants(std::vector<KernelInfo>& out);
void append_scale_mutants(std::vector<KernelInfo>& out);

inline BackwardKernelInfo backward_mutant(const normcheck_backward_kernel& kernel, const char* bug_class) {
  return backward_info(kernel, bug_class);
}
void append_backward_mutants(std::vector<BackwardKernelInfo>& out);  // impls/mutants/backward_mutants.cpp

}  // namespace normcheck::impls
