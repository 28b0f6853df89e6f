// Fused residual-add mutants: an undeclared rounded sum, and residual_out truncated to bf16.
#include <bit>

#include "impls/kernels/kernel_sets.hpp"
#include "impls/kernels/norm_engine.hpp"

namespace normcheck::impls {
namespace {

// Normalizes RN_f16(x + residual), like the honest fused kernels, but the table entry leaves
// out NORMCHECK_NORMALIZES_ROUNDED_SUM: the kernel is held to the exact sum it does not use.
struct RoundedSumLayerNorm : engine::NormSteps<RoundedSumLayerNorm, float> {
  static constexpr bool kNormalizesRoundedSum = true;
};

// residual_out converted to bf16 by dropping the low 16 bits (round toward zero); the
// normalized sum is still rounded to nearest.
struct TruncatedResidualOut : engine::NormSteps<TruncatedResidualOut, float> {
  static constexpr bool kNormalizesRoundedSum = true;
  static void store_residual_out(normcheck_dtype /*dtype: bf16*/, const float* sum, void* base,
                                 int64_t offset, int64_t n) {
    auto* out = static_cast<uint16_t*>(base) + offset;
    for (int64_t i = 0; i < n; ++i) {
      out[i] = static_cast<uint16_t>(std::bit_cast<uint32_t>(sum[i]) >> 16);  // the bug
    }
  }
};

const normcheck_kernel kUndeclared = {
    "mutant.fused_add_layernorm.undeclared_rounded_sum", NORMCHECK_LAYERNORM, NORMCHECK_F16,
    NORMCHECK_F32, NORMCHECK_F16, NORMCHECK_FUSED_RESIDUAL | NORMCHECK_WRITES_STATS, nullptr,
    &engine::run_kernel<RoundedSumLayerNorm>};
const normcheck_kernel kTruncated = {
    "mutant.fused_add_layernorm.truncated_residual_out", NORMCHECK_LAYERNORM, NORMCHECK_BF16,
    NORMCHECK_BF16, NORMCHECK_BF16,
    NORMCHECK_FUSED_RESIDUAL | NORMCHECK_NORMALIZES_ROUNDED_SUM | NORMCHECK_WRITES_STATS, nullptr,
    &engine::run_kernel<TruncatedResidualOut>};

}  // namespace

void append_fused_mutants(std::vector<KernelInfo>& out) {
  out.push_back(mutant(kUndeclared,
                       "fused add normalizes the fp16-rounded sum without declaring "
                       "NORMALIZES_ROUNDED_SUM"));
  out.push_back(mutant(kTruncated, "residual_out truncated to bf16 instead of rounded to nearest"));
}

}  // namespace normcheck::impls
