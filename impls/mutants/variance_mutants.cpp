// Mutants with a wrong variance: one-pass formula, n-1 divisor, fp16 sums, vector-tail bugs.
#include "impls/kernels/float_formats.hpp"
#include "impls/kernels/kernel_sets.hpp"
#include "impls/kernels/norm_engine.hpp"

namespace normcheck::impls {
namespace {

using engine::Moments;

// var = E[x^2] - E[x]^2 in fp32: cancels catastrophically when |mean| >> std.
template <bool kClampAtZero>
struct OnePassVariance : engine::NormSteps<OnePassVariance<kClampAtZero>, float> {
  using Base = engine::NormSteps<OnePassVariance<kClampAtZero>, float>;
  static void statistics(const float* x, int64_t n, float lo, float hi, Moments<float>& m) {
    const auto count = static_cast<float>(n);
    m.mean = std::clamp(Base::pairwise_sum(0, n, [x](int64_t i) { return x[i]; }) / count, lo, hi);
    const float mean_sq = Base::pairwise_sum(0, n, [x](int64_t i) { return x[i] * x[i]; }) / count;
    m.var = mean_sq - m.mean * m.mean;                // the bug
    if constexpr (kClampAtZero) m.var = std::max(0.0f, m.var);  // hides NaN, not the cancellation
  }
};

// Bessel's correction in an operation defined with the biased variance.
struct UnbiasedVariance : engine::NormSteps<UnbiasedVariance, float> {
  static float variance_divisor(int64_t n) { return static_cast<float>(n - 1); }
};

// Running sums kept in fp16 registers while the kernel claims fp32 accumulation.
struct F16Accumulators : engine::NormSteps<F16Accumulators, float> {
  static float acc_round(float v) { return round_to_f16(v); }
};

constexpr int64_t kVectorWidth = 8;

// The deviation loop runs over the row padded to the vector width; the zero padding lanes
// contribute (0 - mean) to the deviation sums.
struct TailPaddingCounted : engine::NormSteps<TailPaddingCounted, float> {
  static void statistics(const float* x, int64_t n, float lo, float hi, Moments<float>& m) {
    const auto count = static_cast<float>(n);
    const int64_t padded = (n + kVectorWidth - 1) / kVectorWidth * kVectorWidth;
    const auto lane = [x, n](int64_t i) { return i < n ? x[i] : 0.0f; };
    const float first_mean = std::clamp(pairwise_sum(0, padded, lane) / count, lo, hi);
    const float dev_sum =
        pairwise_sum(0, padded, [&](int64_t i) { return lane(i) - first_mean; });  // the bug
    const float sum_sq = pairwise_sum(0, padded, [&](int64_t i) {
      const float d = lane(i) - first_mean;
      return d * d;
    });
    m.mean = std::clamp(first_mean + dev_sum / count, lo, hi);
    m.var = std::max(0.0f, sum_sq - dev_sum * dev_sum / count) / count;
  }
};

// The statistics loop handles whole vectors only; the n % 8 tail never reaches the sums.
struct TailSkipped : engine::NormSteps<TailSkipped, float> {
  static void statistics(const float* x, int64_t n, float lo, float hi, Moments<float>& m) {
    const auto count = static_cast<float>(n);
    const int64_t body = n / kVectorWidth * kVectorWidth;  // the bug: no tail loop
    const float first_mean =
        std::clamp(pairwise_sum(0, body, [x](int64_t i) { return x[i]; }) / count, lo, hi);
    const float dev_sum = pairwise_sum(0, body, [&](int64_t i) { return x[i] - first_mean; });
    const float sum_sq = pairwise_sum(0, body, [&](int64_t i) {
      const float d = x[i] - first_mean;
      return d * d;
    });
    m.mean = std::clamp(first_mean + dev_sum / count, lo, hi);
    m.var = std::max(0.0f, sum_sq - dev_sum * dev_sum / count) / count;
  }
};

template <class Steps>
constexpr normcheck_kernel f32_layernorm(const char* name) {
  return {name, NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32,
          NORMCHECK_WRITES_STATS, nullptr, &engine::run_kernel<Steps>};
}

const normcheck_kernel kOnePass =
    f32_layernorm<OnePassVariance<false>>("mutant.layernorm.one_pass_variance");
const normcheck_kernel kOnePassClamped =
    f32_layernorm<OnePassVariance<true>>("mutant.layernorm.one_pass_variance_clamped");
const normcheck_kernel kUnbiased = f32_layernorm<UnbiasedVariance>("mutant.layernorm.unbiased_variance");
const normcheck_kernel kF16Accumulators = {
    "mutant.layernorm.f16_accumulators", NORMCHECK_LAYERNORM, NORMCHECK_F16, NORMCHECK_F32,
    NORMCHECK_F16, NORMCHECK_WRITES_STATS, nullptr, &engine::run_kernel<F16Accumulators>};
const normcheck_kernel kTailPadding =
    f32_layernorm<TailPaddingCounted>("mutant.layernorm.tail_padding_in_variance");
const normcheck_kernel kTailSkipped = f32_layernorm<TailSkipped>("mutant.layernorm.tail_skipped");

}  // namespace

void append_variance_mutants(std::vector<KernelInfo>& out) {
  out.push_back(mutant(kOnePass,
                       "one-pass variance E[x^2]-E[x]^2 in fp32: catastrophic cancellation, "
                       "negative variance (NaN) when |mean| >> std"));
  out.push_back(mutant(kOnePassClamped,
                       "one-pass variance clamped at zero: no NaN, but still cancellation "
                       "when |mean| >> std"));
  out.push_back(mutant(kUnbiased, "unbiased variance (divides by n-1 instead of n)"));
  out.push_back(mutant(kF16Accumulators,
                       "fp16 accumulators for sum and sum of squares: overflow and lost "
                       "precision for long or large rows"));
  out.push_back(mutant(kTailPadding,
                       "vector-tail zero padding counted in the deviation sums when n is not "
                       "a multiple of the vector width"));
  out.push_back(mutant(kTailSkipped,
                       "tail elements (n % vector width) skipped by the statistics loop"));
}

}  // namespace normcheck::impls
