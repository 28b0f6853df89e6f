// Fused residual-add + LayerNorm / RMSNorm kernels with fp32 compute.
#include "impls/kernels/kernel_sets.hpp"
#include "impls/kernels/norm_engine.hpp"

namespace normcheck::impls {
namespace {

// Like most production fused kernels, normalizes the rounded sum it writes to residual_out
// (and says so with NORMCHECK_NORMALIZES_ROUNDED_SUM).
struct FusedAddLayerNorm : engine::NormSteps<FusedAddLayerNorm, float> {
  static constexpr bool kNormalizesRoundedSum = true;
};
// Keeps the fp32 sum in registers and normalizes it, so it approximates the exact sum.
struct FusedAddRmsNorm : engine::NormSteps<FusedAddRmsNorm, float> {
  static constexpr bool kCentered = false;
};

constexpr uint32_t kLayerNormFlags =
    NORMCHECK_FUSED_RESIDUAL | NORMCHECK_NORMALIZES_ROUNDED_SUM | NORMCHECK_WRITES_STATS;

const normcheck_kernel kLayerNormF16 = {"fused_add_layernorm.f16", NORMCHECK_LAYERNORM,
                                        NORMCHECK_F16, NORMCHECK_F32, NORMCHECK_F16,
                                        kLayerNormFlags, nullptr,
                                        &engine::run_kernel<FusedAddLayerNorm>};
const normcheck_kernel kLayerNormBF16 = {"fused_add_layernorm.bf16", NORMCHECK_LAYERNORM,
                                         NORMCHECK_BF16, NORMCHECK_BF16, NORMCHECK_BF16,
                                         kLayerNormFlags, nullptr,
                                         &engine::run_kernel<FusedAddLayerNorm>};
const normcheck_kernel kRmsNormBF16 = {"fused_add_rmsnorm.bf16", NORMCHECK_RMSNORM, NORMCHECK_BF16,
                                       NORMCHECK_BF16, NORMCHECK_BF16, NORMCHECK_FUSED_RESIDUAL,
                                       nullptr, &engine::run_kernel<FusedAddRmsNorm>};

}  // namespace

void append_fused_kernels(std::vector<KernelInfo>& out) {
  out.push_back(builtin(kLayerNormF16));
  out.push_back(builtin(kLayerNormBF16));
  out.push_back(builtin(kRmsNormBF16));
}

}  // namespace normcheck::impls
