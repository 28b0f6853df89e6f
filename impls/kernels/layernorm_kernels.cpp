// Two-pass LayerNorm kernels: fp32 compute for f32 / f16 / bf16 I/O, and fp64.
#include "impls/kernels/kernel_sets.hpp"
#include "impls/kernels/norm_engine.hpp"

namespace normcheck::impls {
namespace {

struct TwoPassLayerNorm : engine::NormSteps<TwoPassLayerNorm, float> {};
struct TwoPassLayerNormF64 : engine::NormSteps<TwoPassLayerNormF64, double> {};

constexpr auto kRun = &engine::run_kernel<TwoPassLayerNorm>;

const normcheck_kernel kF32 = {"layernorm.f32.two_pass", NORMCHECK_LAYERNORM, NORMCHECK_F32,
                               NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_WRITES_STATS, nullptr, kRun};
const normcheck_kernel kF16 = {"layernorm.f16.f32_params", NORMCHECK_LAYERNORM, NORMCHECK_F16,
                               NORMCHECK_F32, NORMCHECK_F16, NORMCHECK_WRITES_STATS, nullptr, kRun};
const normcheck_kernel kF16Params = {"layernorm.f16.f16_params", NORMCHECK_LAYERNORM,
                                     NORMCHECK_F16, NORMCHECK_F16, NORMCHECK_F16,
                                     NORMCHECK_WRITES_STATS, nullptr, kRun};
const normcheck_kernel kBF16 = {"layernorm.bf16.f32_params", NORMCHECK_LAYERNORM, NORMCHECK_BF16,
                                NORMCHECK_F32, NORMCHECK_BF16, NORMCHECK_WRITES_STATS, nullptr, kRun};
const normcheck_kernel kBF16Params = {"layernorm.bf16.bf16_params", NORMCHECK_LAYERNORM,
                                      NORMCHECK_BF16, NORMCHECK_BF16, NORMCHECK_BF16,
                                      NORMCHECK_WRITES_STATS, nullptr, kRun};
const normcheck_kernel kF64 = {"layernorm.f64.two_pass", NORMCHECK_LAYERNORM, NORMCHECK_F64,
                               NORMCHECK_F64, NORMCHECK_F64, NORMCHECK_WRITES_STATS, nullptr,
                               &engine::run_kernel<TwoPassLayerNormF64>};

}  // namespace

void append_layernorm_kernels(std::vector<KernelInfo>& out) {
  out.push_back(builtin(kF32));
  out.push_back(builtin(kF16));
  out.push_back(builtin(kF16Params));
  out.push_back(builtin(kBF16));
  out.push_back(builtin(kBF16Params));
  out.push_back(builtin(kF64, NORMCHECK_F64));
}

}  // namespace normcheck::impls
