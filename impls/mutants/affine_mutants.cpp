// Mutants in the affine step: gamma and beta folded into one FMA, gamma rounded to bf16.
#include <cmath>

#include "impls/kernels/float_formats.hpp"
#include "impls/kernels/kernel_sets.hpp"
#include "impls/kernels/norm_engine.hpp"

namespace normcheck::impls {
namespace {

// y = x * (gamma*rstd) + (beta - mean*gamma*rstd): saves an operation per element, but the
// cancellation moves into the constant, so constant rows no longer give exactly beta and rows
// with |mean| >> std lose their digits.
struct FoldedAffineFma : engine::NormSteps<FoldedAffineFma, float> {
  static void normalize(const float* x, int64_t n, float mean, float /*dev_scale: 1*/, float rstd,
                        const float* gamma, const float* beta, float* out) {
    for (int64_t i = 0; i < n; ++i) {
      const float a = gamma[i] * rstd;
      out[i] = std::fma(x[i], a, beta[i] - mean * a);
    }
  }
};

// fp32 weights converted to bf16 on load (a "mixed precision" shortcut).
struct GammaRoundedToBF16 : engine::NormSteps<GammaRoundedToBF16, float> {
  static void prepare_gamma(float* gamma, int64_t n) {
    for (int64_t i = 0; i < n; ++i) gamma[i] = round_to_bf16(gamma[i]);
  }
};

const normcheck_kernel kFolded = {"mutant.layernorm.folded_affine_fma", NORMCHECK_LAYERNORM,
                                  NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32,
                                  NORMCHECK_WRITES_STATS, nullptr,
                                  &engine::run_kernel<FoldedAffineFma>};
const normcheck_kernel kGammaBF16 = {"mutant.layernorm.gamma_bf16", NORMCHECK_LAYERNORM,
                                     NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32,
                                     NORMCHECK_WRITES_STATS, nullptr,
                                     &engine::run_kernel<GammaRoundedToBF16>};

}  // namespace

void append_affine_mutants(std::vector<KernelInfo>& out) {
  out.push_back(mutant(kFolded,
                       "affine folded into one FMA, y = x*(gamma*rstd) + (beta - "
                       "mean*gamma*rstd): constant rows no longer give beta"));
  out.push_back(mutant(kGammaBF16, "fp32 gamma rounded to bf16 before use"));
}

}  // namespace normcheck::impls
