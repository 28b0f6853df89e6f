// RMSNorm kernels with fp32 compute: f32 I/O, and bf16 I/O with bf16 weights (LLaMA style).
#include "impls/kernels/kernel_sets.hpp"
#include "impls/kernels/norm_engine.hpp"

namespace normcheck::impls {
namespace {

struct RmsNorm : engine::NormSteps<RmsNorm, float> {
  static constexpr bool kCentered = false;
};

const normcheck_kernel kF32 = {"rmsnorm.f32", NORMCHECK_RMSNORM, NORMCHECK_F32, NORMCHECK_F32,
                               NORMCHECK_F32, 0, nullptr, &engine::run_kernel<RmsNorm>};
const normcheck_kernel kBF16 = {"rmsnorm.bf16", NORMCHECK_RMSNORM, NORMCHECK_BF16, NORMCHECK_BF16,
                                NORMCHECK_BF16, 0, nullptr, &engine::run_kernel<RmsNorm>};

}  // namespace

void append_rmsnorm_kernels(std::vector<KernelInfo>& out) {
  out.push_back(builtin(kF32));
  out.push_back(builtin(kBF16));
}

}  // namespace normcheck::impls
