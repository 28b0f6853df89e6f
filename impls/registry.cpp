// The built-in kernel list: correct kernels, then oneDNN adapters (when built), then mutants.
#include "impls/registry.hpp"

#include "impls/kernels/kernel_sets.hpp"

namespace normcheck::impls {

const std::vector<KernelInfo>& builtin_kernels() {
  static const std::vector<KernelInfo> kernels = [] {
    std::vector<KernelInfo> out;
    append_layernorm_kernels(out);
    append_welford_kernels(out);
    append_pure_half_kernels(out);
    append_rmsnorm_kernels(out);
    append_fused_kernels(out);
#ifdef NORMCHECK_HAVE_ONEDNN
    append_onednn_kernels(out);
#endif
    append_variance_mutants(out);
    append_epsilon_mutants(out);
    append_affine_mutants(out);
    append_fused_mutants(out);
    append_overflow_mutants(out);
    append_rounding_mutants(out);
    append_scale_mutants(out);
    return out;
  }();
  return kernels;
}

const std::vector<BackwardKernelInfo>& builtin_backward_kernels() {
  static const std::vector<BackwardKernelInfo> kernels = [] {
    std::vector<BackwardKernelInfo> out;
    append_layernorm_backward_kernels(out);
    append_rmsnorm_backward_kernels(out);
    append_backward_mutants(out);
    return out;
  }();
  return kernels;
}

}  // namespace normcheck::impls
