// Mutant whose sum of squares overflows fp32 for large |x| (no row scaling).
#include "impls/kernels/kernel_sets.hpp"
#include "impls/kernels/norm_engine.hpp"

namespace normcheck::impls {
namespace {

// RMSNorm summing x^2 in fp32 as is: |x| > ~1.8e19 squares to inf and the row collapses to 0.
struct RmsNormUnscaledSquares : engine::NormSteps<RmsNormUnscaledSquares, float> {
  static constexpr bool kCentered = false;
  static int scale_exponent(float /*maxabs*/, int64_t /*n*/) { return 0; }  // the bug
};

const normcheck_kernel kOverflow = {"mutant.rmsnorm.sum_squares_overflow", NORMCHECK_RMSNORM,
                                    NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0, nullptr,
                                    &engine::run_kernel<RmsNormUnscaledSquares>};

}  // namespace

void append_overflow_mutants(std::vector<KernelInfo>& out) {
  out.push_back(mutant(kOverflow,
                       "sum of squares in fp32 without scaling: overflows to inf for |x| "
                       "above ~1.8e19 (and underflows for tiny rows)"));
}

}  // namespace normcheck::impls
