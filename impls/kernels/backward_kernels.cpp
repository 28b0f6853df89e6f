// Backward kernels of LayerNorm and RMSNorm for f32 / f16 / bf16 I/O (f32 parameters), and
// fp64. The f32-I/O kernels use the forward's saved f32 mean and rstd, as PyTorch's do, and
// compute in double, elementwise and in the row sums and dgamma / dbeta partials: a CPU
// kernel can afford it, the products of two floats are exact, and no intermediate of an
// f32 row overflows or underflows (x - mean of two values near 2^127 of opposite signs
// overflows float; gamma * dy of huge dy too). The fp64 kernel does the same in long double.
#include "impls/kernels/backward_engine.hpp"
#include "impls/kernels/kernel_sets.hpp"

namespace normcheck::impls {
namespace {

struct LayerNormBackward : backward::BackwardSteps<LayerNormBackward, double, double> {};

struct RmsNormBackward : backward::BackwardSteps<RmsNormBackward, double, double> {
  static constexpr bool kCentered = false;
};

// All in f64. The saved statistics are f32 (relative error up to 2^-24), far coarser than
// the f64 result the kernel is judged at, so this kernel recomputes mean and rstd from x in
// f64 with the problem's eps: the statistics its own f64 forward would have saved.
struct LayerNormBackwardF64 : backward::BackwardSteps<LayerNormBackwardF64, long double, long double> {
  static backward::RowStats<long double> row_stats(const normcheck_backward_problem& p, int64_t /*r*/,
                                                   const long double* x, int64_t n) {
    return backward::recomputed_stats<long double, long double>(x, n, true, p.eps);
  }
};

constexpr auto kLayerNorm = &backward::run_kernel<LayerNormBackward>;
constexpr auto kRmsNorm = &backward::run_kernel<RmsNormBackward>;

const normcheck_backward_kernel kLayerNormF32 = {
    "layernorm_backward.f32", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32,
    kBackwardF32Flags, nullptr, kLayerNorm};
const normcheck_backward_kernel kLayerNormF16 = {
    "layernorm_backward.f16", NORMCHECK_LAYERNORM, NORMCHECK_F16, NORMCHECK_F32, NORMCHECK_F16,
    kBackwardF32Flags, nullptr, kLayerNorm};
const normcheck_backward_kernel kLayerNormBF16 = {
    "layernorm_backward.bf16", NORMCHECK_LAYERNORM, NORMCHECK_BF16, NORMCHECK_F32, NORMCHECK_BF16,
    kBackwardF32Flags, nullptr, kLayerNorm};
const normcheck_backward_kernel kLayerNormF64 = {
    "layernorm_backward.f64", NORMCHECK_LAYERNORM, NORMCHECK_F64, NORMCHECK_F64, NORMCHECK_F64,
    NORMCHECK_THREAD_SAFE | NORMCHECK_COMPUTE(NORMCHECK_F64), nullptr,
    &backward::run_kernel<LayerNormBackwardF64>};
const normcheck_backward_kernel kRmsNormF32 = {
    "rmsnorm_backward.f32", NORMCHECK_RMSNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32,
    kBackwardF32Flags, nullptr, kRmsNorm};
const normcheck_backward_kernel kRmsNormBF16 = {
    "rmsnorm_backward.bf16", NORMCHECK_RMSNORM, NORMCHECK_BF16, NORMCHECK_F32, NORMCHECK_BF16,
    kBackwardF32Flags, nullptr, kRmsNorm};

}  // namespace

void append_layernorm_backward_kernels(std::vector<BackwardKernelInfo>& out) {
  out.push_back(builtin_backward(kLayerNormF32));
  out.push_back(builtin_backward(kLayerNormF16));
  out.push_back(builtin_backward(kLayerNormBF16));
  out.push_back(builtin_backward(kLayerNormF64));
}

void append_rmsnorm_backward_kernels(std::vector<BackwardKernelInfo>& out) {
  out.push_back(builtin_backward(kRmsNormF32));
  out.push_back(builtin_backward(kRmsNormBF16));
}

}  // namespace normcheck::impls
