// Mutants whose error is small but systematic: the output truncated to f16 / bf16 instead of
// rounded to nearest, and rstd rounded to a half-precision format before the multiply. Each
// stays within the score budget (errors of about an ulp); the bias test of `check` catches
// them (docs/error-measures.md, "Rounding bias").
#include <bit>
#include <cmath>
#include <cstdint>

#include "impls/kernels/float_formats.hpp"
#include "impls/kernels/kernel_sets.hpp"
#include "impls/kernels/norm_engine.hpp"

namespace normcheck::impls {
namespace {

// f32 to f16 with the low mantissa bits dropped (round toward zero) but the overflow check of
// a round-to-nearest conversion kept, as hand-written fast paths have it: 2^16 and beyond give
// inf, where an RZ conversion would saturate at 65504 (an overflow the special class sees
// case by case). NaN stays a quiet NaN.
uint16_t f32_to_f16_toward_zero(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  bits &= 0x7fff'ffffu;
  if (bits > 0x7f80'0000u) return static_cast<uint16_t>(sign | 0x7e00u);
  if (bits >= 0x4780'0000u) return static_cast<uint16_t>(sign | 0x7c00u);  // >= 2^16: inf
  if (bits < 0x3880'0000u) {
    // Below 2^-14 the result is a multiple of 2^-24: the scaling is exact, the conversion to
    // an integer truncates.
    const auto mantissa = static_cast<uint32_t>(std::bit_cast<float>(bits) * 0x1p24f);
    return static_cast<uint16_t>(sign | mantissa);
  }
  return static_cast<uint16_t>(sign | ((bits - 0x3800'0000u) >> 13));  // rebias 127 -> 15
}

// An fp32-compute LayerNorm (f16 I/O and weights) whose output conversion truncates. With
// f16 weights a constant row's beta is exact, so only the rounding of other outputs differs.
struct F16OutputTruncated : engine::NormSteps<F16OutputTruncated, float> {
  static void store_output(normcheck_dtype /*dtype: f16*/, const float* out, void* base, int64_t offset,
                           int64_t n) {
    auto* y = static_cast<uint16_t*>(base) + offset;
    for (int64_t i = 0; i < n; ++i) y[i] = f32_to_f16_toward_zero(out[i]);  // the bug
  }
};

// An fp32-compute RMSNorm (bf16 I/O) that converts its output by dropping the low 16 bits.
struct BF16OutputTruncated : engine::NormSteps<BF16OutputTruncated, float> {
  static constexpr bool kCentered = false;
  static void store_output(normcheck_dtype /*dtype: bf16*/, const float* out, void* base, int64_t offset,
                           int64_t n) {
    auto* y = static_cast<uint16_t*>(base) + offset;
    for (int64_t i = 0; i < n; ++i) {
      const uint32_t bits = std::bit_cast<uint32_t>(out[i]);
      const bool nan = (bits & 0x7fff'ffffu) > 0x7f80'0000u;
      y[i] = static_cast<uint16_t>((bits >> 16) | (nan ? 0x40u : 0u));  // the bug
    }
  }
};

// rstd's significand rounded to a half format's precision, its power of two kept: the
// engine's rstd of a scaled row is rstd * 2^-s, and a power of two changes no rounding. For
// bf16 (fp32's exponent range) this is exactly a bf16 rstd; for fp16 it leaves out fp16's
// range, whose overflow (eps < 2^-32) and underflow (var > 2^28) the score and special
// classes already catch, so that the mutant models the precision loss alone.
template <float (*RoundSignificand)(float)>
float rstd_rounded(long double rstd_scaled) {
  const auto rstd = static_cast<float>(rstd_scaled);
  if (rstd == 0 || !std::isfinite(rstd)) return rstd;
  int exponent = 0;
  const float significand = std::frexp(rstd, &exponent);  // in [1/2, 1): a normal f16 / bf16
  return std::ldexp(RoundSignificand(significand), exponent);
}

// RMSNorm (fp32 compute) that holds rstd in the I/O format, f16 or bf16, before the multiply:
// `x * rsqrt(mean(x^2) + eps).to(dtype) * weight`.
struct RstdRoundedToF16 : engine::NormSteps<RstdRoundedToF16, float> {
  static constexpr bool kCentered = false;
  static float rstd_operand(long double rstd_scaled) { return rstd_rounded<round_to_f16>(rstd_scaled); }
};
struct RstdRoundedToBF16 : engine::NormSteps<RstdRoundedToBF16, float> {
  static constexpr bool kCentered = false;
  static float rstd_operand(long double rstd_scaled) { return rstd_rounded<round_to_bf16>(rstd_scaled); }
};

// The rstd mutants model LLaMA-style RMSNorm, which has a weight and no bias, and answer
// UNSUPPORTED to a beta. With a beta that cancels gamma * t the same bug is visible to the
// score (an rstd error of up to 2^-11 relative in a term far larger than y), so the
// per-case budget catches that form; without one the error is at most an ulp and only the
// bias test sees it.
template <class Steps>
normcheck_status run_weight_only(const normcheck_kernel* self, const normcheck_problem* problem) noexcept {
  if (problem != nullptr && problem->beta != nullptr) return NORMCHECK_UNSUPPORTED;
  return engine::run_kernel<Steps>(self, problem);
}

using RunFn = normcheck_status (*)(const normcheck_kernel*, const normcheck_problem*);

constexpr normcheck_kernel f16_layernorm(const char* name, RunFn run) {
  return {name, NORMCHECK_LAYERNORM, NORMCHECK_F16, NORMCHECK_F16, NORMCHECK_F16, NORMCHECK_WRITES_STATS, nullptr,
          run};
}
constexpr normcheck_kernel rmsnorm(const char* name, normcheck_dtype dtype, RunFn run) {
  return {name, NORMCHECK_RMSNORM, dtype, dtype, dtype, 0, nullptr, run};
}

const normcheck_kernel kF16Truncated =
    f16_layernorm("mutant.layernorm.f16_output_truncated", &engine::run_kernel<F16OutputTruncated>);
const normcheck_kernel kBF16Truncated =
    rmsnorm("mutant.rmsnorm.bf16_output_truncated", NORMCHECK_BF16, &engine::run_kernel<BF16OutputTruncated>);
const normcheck_kernel kRstdF16 = rmsnorm("mutant.rmsnorm.rstd_f16", NORMCHECK_F16, &run_weight_only<RstdRoundedToF16>);
const normcheck_kernel kRstdBF16 =
    rmsnorm("mutant.rmsnorm.rstd_bf16", NORMCHECK_BF16, &run_weight_only<RstdRoundedToBF16>);

}  // namespace

void append_rounding_mutants(std::vector<KernelInfo>& out) {
  out.push_back(mutant(kF16Truncated, "fp32 result truncated to f16 (round toward zero) instead of rounded to nearest"));
  out.push_back(mutant(kBF16Truncated, "fp32 result truncated to bf16 (low 16 bits dropped) instead of rounded to nearest"));
  out.push_back(mutant(kRstdF16, "RMSNorm rstd rounded to fp16 precision before the multiply: each row scaled by its own error"));
  out.push_back(mutant(kRstdBF16, "RMSNorm rstd rounded to bf16 before the multiply: each row scaled by its own error"));
}

}  // namespace normcheck::impls
