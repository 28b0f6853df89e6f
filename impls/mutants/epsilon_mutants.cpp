// Mutants that mishandle eps: narrowed to fp16, outside the square root, ignored, or left out of
// the saved rstd.
#include <cmath>

#include "impls/kernels/float_formats.hpp"
#include "impls/kernels/kernel_sets.hpp"
#include "impls/kernels/norm_engine.hpp"

namespace normcheck::impls {
namespace {

// eps stored as a half-precision constant: 1e-5 becomes a subnormal, 1e-8 becomes 0.
struct EpsNarrowedToF16 : engine::NormSteps<EpsNarrowedToF16, float> {
  static double effective_eps(double eps) { return round_to_f16(static_cast<float>(eps)); }
};

// 1 / (sqrt(var) + eps): the Keras-1 / some custom-CUDA formula instead of 1 / sqrt(var + eps).
struct EpsOutsideSqrt : engine::NormSteps<EpsOutsideSqrt, float> {
  static long double rstd(long double var, double eps, int scale_exp) {
    return 1.0L / (std::sqrt(var) + std::ldexp(static_cast<long double>(eps), scale_exp));
  }
};

// The rstd saved for the backward pass omits eps; the forward output itself is correct.
struct SavedRstdWithoutEps : engine::NormSteps<SavedRstdWithoutEps, float> {
  static long double saved_rstd(long double var, double /*eps*/, int /*scale_exp*/) {
    return 1.0L / std::sqrt(var);
  }
};

// RMSNorm that forgets eps: an all-zero row gives 0 * inf = NaN.
struct RmsNormEpsIgnored : engine::NormSteps<RmsNormEpsIgnored, float> {
  static constexpr bool kCentered = false;
  static long double rstd(long double var, double /*eps*/, int /*scale_exp*/) {
    return 1.0L / std::sqrt(var);
  }
};

template <class Steps>
constexpr normcheck_kernel f32_kernel(const char* name, normcheck_op op, uint32_t flags) {
  return {name, op, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, flags, nullptr,
          &engine::run_kernel<Steps>};
}

const normcheck_kernel kEpsF16 = f32_kernel<EpsNarrowedToF16>(
    "mutant.layernorm.eps_f16", NORMCHECK_LAYERNORM, NORMCHECK_WRITES_STATS);
const normcheck_kernel kEpsOutside = f32_kernel<EpsOutsideSqrt>(
    "mutant.layernorm.eps_outside_sqrt", NORMCHECK_LAYERNORM, NORMCHECK_WRITES_STATS);
const normcheck_kernel kSavedRstd = f32_kernel<SavedRstdWithoutEps>(
    "mutant.layernorm.saved_rstd_without_eps", NORMCHECK_LAYERNORM, NORMCHECK_WRITES_STATS);
const normcheck_kernel kRmsEps =
    f32_kernel<RmsNormEpsIgnored>("mutant.rmsnorm.eps_ignored", NORMCHECK_RMSNORM, 0);

}  // namespace

void append_epsilon_mutants(std::vector<KernelInfo>& out) {
  out.push_back(mutant(kEpsF16,
                       "eps narrowed to fp16 before it is added (small eps rounds to a "
                       "subnormal or to 0)"));
  out.push_back(mutant(kEpsOutside, "eps added outside the square root: 1/(sqrt(var)+eps)"));
  out.push_back(mutant(kSavedRstd, "saved rstd computed without eps (stats differ from output)"));
  out.push_back(mutant(kRmsEps, "eps ignored in RMSNorm: 1/sqrt(mean(x^2))"));
}

}  // namespace normcheck::impls
