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

}  // namespace normcheck::impls
