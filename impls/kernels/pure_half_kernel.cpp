// A "pure half" fp16 LayerNorm: every element-wise operation and running sum is rounded to fp16.
//
// fp16 arithmetic is emulated by rounding each float result to fp16: float has 24 >= 2*11 + 2
// bits, so rounding twice equals rounding the exact result once (Figueroa). The kernel declares
// compute = f16. Only the per-row 1/sqrt(var + eps) is formed in wider precision and then rounded
// to fp16's 11 bits, because eps is typically below fp16's normal range; its power of two is kept
// apart (see rstd_operand).
#include <bit>
#include <cmath>

#include "impls/kernels/float_formats.hpp"
#include "impls/kernels/kernel_sets.hpp"
#include "impls/kernels/norm_engine.hpp"

namespace normcheck::impls {
namespace {

// log2 of the magnitude a row is scaled to, so that n * (2 * max)^2 stays below fp16's 65504.
int target_exponent(int64_t n) {
  const int log2_n = static_cast<int>(std::bit_width(static_cast<uint64_t>(n - 1)));  // ceil
  return (13 - log2_n) >= 0 ? (13 - log2_n) / 2 : -((log2_n - 12) / 2);
}

struct PureHalfLayerNorm : engine::NormSteps<PureHalfLayerNorm, float> {
  static float round(float v) { return round_to_f16(v); }
  static float max_finite() { return 65504.0f; }

  // fp16 has no room for squares of unscaled data, so every row is brought to the target
  // magnitude (max in [2^(t-1), 2^t)), not only extreme ones.
  static int scale_exponent(float maxabs, int64_t n) {
    if (maxabs == 0) return 0;
    return target_exponent(n) - 1 - std::ilogb(maxabs);
  }

  static void statistics(const float* x, int64_t n, float lo, float hi,
                         engine::Moments<float>& m) {
    const auto count = static_cast<float>(n);
    const float first_mean =
        std::clamp(round(pairwise_sum(0, n, [x](int64_t i) { return x[i]; }) / count), lo, hi);
    // An fp16 sum of n elements is off by a few ulps of the data: more than the whole spread of
    // a nearly constant row. The deviations' mean repairs it (corrected two-pass).
    const float dev_sum =
        pairwise_sum(0, n, [x, first_mean](int64_t i) { return round(x[i] - first_mean); });
    m.mean = std::clamp(round(first_mean + round(dev_sum / count)), lo, hi);
    // Deviations can be far smaller than the data (nearly constant rows); rescale them before
    // squaring so the squares stay in fp16's normal range.
    float* dev = engine::scratch<float>(engine::kDeviationSlot, n);
    float max_dev = 0;
    for (int64_t i = 0; i < n; ++i) {
      dev[i] = round(x[i] - m.mean);
      max_dev = std::fmax(max_dev, std::fabs(dev[i]));
    }
    if (max_dev == 0) return;  // constant row: var = 0
    m.dev_exp = target_exponent(n) - 1 - std::ilogb(max_dev);
    const float factor = std::ldexp(1.0f, m.dev_exp);
    const auto scaled = [dev, factor](int64_t i) { return round(dev[i] * factor); };
    const float scaled_sum = pairwise_sum(0, n, scaled);
    const float sum_sq = pairwise_sum(0, n, [&scaled](int64_t i) {
      const float d = scaled(i);
      return round(d * d);
    });
    // The rounded mean leaves the deviations a mean of their own; n times its square is not
    // part of the variance. mean * sum <= n max^2 cannot overflow where sum_sq does not.
    const float correction = round(round(scaled_sum / count) * scaled_sum);
    const float spread = std::max(0.0f, round(sum_sq - correction));
    if (spread == 0) return;
    // spread >= max^2 ~ 2^13 / n only, so spread / n leaves fp16's normal range for long rows
    // (and underflows to 0 from n ~ 2^18). The variance is then formed 4^k larger, k joining
    // dev_exp, so it lies in [1/2, 8): an fp16 significand with its power of two kept apart.
    const int var_exp = std::ilogb(spread) - std::ilogb(count);
    const int lift = var_exp < 0 ? (1 - var_exp) / 2 : 0;
    m.dev_exp += lift;
    m.var = round(std::ldexp(spread, 2 * lift) / count);
  }

  // The scaled rstd keeps fp16's 11 significant bits but not its exponent range: when eps * 4^s
  // dominates a tiny row's scaled variance, 1/sqrt(var + eps) * 2^-s falls below 2^-24 although
  // d * rstd, the normalized value, need not. Its power of two is applied exactly within the
  // product d * rstd, which float forms exactly (11 x 11 bits) and rounds once to fp16.
  static float rstd_operand(long double rstd_scaled) {
    const auto rstd = static_cast<float>(rstd_scaled);
    if (rstd == 0 || !std::isfinite(rstd)) return rstd;
    int exponent = 0;
    const float significand = std::frexp(rstd, &exponent);
    return std::ldexp(round(significand), exponent);
  }
};

const normcheck_kernel kPureHalf = {"layernorm.f16.pure_half", NORMCHECK_LAYERNORM, NORMCHECK_F16,
                                    NORMCHECK_F16, NORMCHECK_F16, NORMCHECK_WRITES_STATS, nullptr,
                                    &engine::run_kernel<PureHalfLayerNorm>};

}  // namespace

void append_pure_half_kernels(std::vector<KernelInfo>& out) {
  out.push_back(builtin(kPureHalf, NORMCHECK_F16));
}

}  // namespace normcheck::impls
