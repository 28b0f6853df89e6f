// Backward mutants: each is a correct backward kernel (impls/kernels/backward_kernels.cpp)
// with one step changed, the bugs of real LayerNorm / RMSNorm backward kernels.
#include "impls/kernels/backward_engine.hpp"
#include "impls/kernels/float_formats.hpp"
#include "impls/kernels/kernel_sets.hpp"

namespace normcheck::impls {
namespace {

template <class Self>
using F32Steps = backward::BackwardSteps<Self, double, double>;  // as the correct f32-I/O kernels

// dx_i = rstd (g_i - 2 mean(g) - xhat_i mean(g xhat)): the mean(g) term applied twice, once
// folded into g and once more in the bracket.
struct MeanGTwice : F32Steps<MeanGTwice> {
  static double dx(double g, double mean_g, double xhat, double mean_gx, double rstd) {
    return rstd * (g - mean_g - mean_g - xhat * mean_gx);  // the bug
  }
};

// dx_i = rstd (g_i - xhat_i mean(g xhat)): LayerNorm's mean(g) term left out.
struct MeanGDropped : F32Steps<MeanGDropped> {
  static double dx(double g, double /*mean_g*/, double xhat, double mean_gx, double rstd) {
    return rstd * (g - xhat * mean_gx);  // the bug
  }
};

// mean(dy xhat) where mean(gamma dy xhat) belongs: gamma left out of one term of the
// backward (the class of llm.c PR #763's review, "forgot to multiply by the weight in the
// backward pass").
struct DyInDotTerm : F32Steps<DyInDotTerm> {
  static double g_in_dot(double /*gamma*/, double dy) { return dy; }  // the bug
};

// The final reduction over row blocks keeps (overwrites with) the last block's partial
// (docs/kernels.md, "Backward mutants", gives the public reports each mutant models).
struct LastBlockOnly : F32Steps<LastBlockOnly> {
  template <class Round>
  static double combine_blocks(const double* partial, int64_t blocks, int64_t n, int64_t j, Round /*round*/) {
    return blocks > 0 ? partial[(blocks - 1) * n + j] : 0.0;  // the bug
  }
};

// dgamma's running sums held in bf16 (the I/O format) across rows (Liger-Kernel PR #950:
// a block RMSNorm backward reduced dW in bf16).
struct DgammaBF16Accumulation : F32Steps<DgammaBF16Accumulation> {
  static double dgamma_round(double v) { return round_to_bf16(static_cast<float>(v)); }  // the bug
};

// The reduction's grid covers n / 2 columns: the other half of dgamma / dbeta is never written
// (pytorch/pytorch issue #183861: a hard-coded warp size of 64 on 32-wide hardware dropped
// half of the feature columns of dgamma / dbeta).
struct HalfColumns : F32Steps<HalfColumns> {
  static int64_t reduced_columns(int64_t n) { return n / 2; }  // the bug
};

// rows / kBlockRows blocks, rounded down: the rows of a last, partial block never reach
// dgamma / dbeta (BobMcDear/attorch issue #18: a buffer sized by floor division under a
// ceiling-sized grid lost the last block of rows from the weight gradient).
struct LastPartialBlockDropped : F32Steps<LastPartialBlockDropped> {
  static int64_t row_blocks(int64_t rows) { return rows / kBlockRows; }  // the bug
};

// rstd recomputed from x as 1/sqrt(var), eps left out, instead of the saved rstd (the class
// of FluxML/Flux.jl issue #2096: eps protected the forward only, and the gradient of a
// constant row was NaN).
struct RstdWithoutEps : F32Steps<RstdWithoutEps> {
  static backward::RowStats<double> row_stats(const normcheck_backward_problem& p, int64_t r, const double* x,
                                              int64_t n) {
    const double rstd = backward::recomputed_stats<double, double>(x, n, true, 0.0).rstd;  // the bug
    return {p.mean[r], rstd};
  }
};

// RMSNorm's backward written with LayerNorm's formula: x centered on its mean (computed,
// since RMSNorm saves none) and mean(g) subtracted.
struct RmsNormWithLayerNormFormula : F32Steps<RmsNormWithLayerNormFormula> {
  static constexpr bool kCentered = true;  // the bug
  static backward::RowStats<double> row_stats(const normcheck_backward_problem& p, int64_t r, const double* x,
                                              int64_t n) {
    return {backward::recomputed_stats<double, double>(x, n, true, p.eps).mean, p.rstd[r]};
  }
};

template <class Steps>
constexpr normcheck_backward_kernel f32_layernorm(const char* name) {
  return {name, NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, kBackwardF32Flags, nullptr,
          &backward::run_kernel<Steps>};
}

const normcheck_backward_kernel kMeanGTwice = f32_layernorm<MeanGTwice>("mutant.layernorm_backward.mean_g_twice");
const normcheck_backward_kernel kLastBlockOnly =
    f32_layernorm<LastBlockOnly>("mutant.layernorm_backward.last_block_only");
const normcheck_backward_kernel kMeanGDropped =
    f32_layernorm<MeanGDropped>("mutant.layernorm_backward.mean_g_dropped");
const normcheck_backward_kernel kDyInDotTerm = f32_layernorm<DyInDotTerm>("mutant.layernorm_backward.dy_in_dot_term");
const normcheck_backward_kernel kDgammaBF16 = {
    "mutant.layernorm_backward.dgamma_bf16_accumulation", NORMCHECK_LAYERNORM, NORMCHECK_BF16, NORMCHECK_F32,
    NORMCHECK_BF16, kBackwardF32Flags, nullptr, &backward::run_kernel<DgammaBF16Accumulation>};
const normcheck_backward_kernel kHalfColumns = f32_layernorm<HalfColumns>("mutant.layernorm_backward.half_columns");
const normcheck_backward_kernel kLastPartialBlock =
    f32_layernorm<LastPartialBlockDropped>("mutant.layernorm_backward.last_partial_block_dropped");
const normcheck_backward_kernel kRstdWithoutEps =
    f32_layernorm<RstdWithoutEps>("mutant.layernorm_backward.rstd_without_eps");
const normcheck_backward_kernel kRmsNormLayerNormFormula = {
    "mutant.rmsnorm_backward.layernorm_formula", NORMCHECK_RMSNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32,
    kBackwardF32Flags, nullptr, &backward::run_kernel<RmsNormWithLayerNormFormula>};

}  // namespace

void append_backward_mutants(std::vector<BackwardKernelInfo>& out) {
  out.push_back(backward_mutant(kMeanGTwice, "dx subtracts mean(gamma*dy) twice"));
  out.push_back(backward_mutant(kLastBlockOnly,
                                "dgamma / dbeta block reduction keeps only the last block's partial sum "
                                "(assignment instead of accumulation across blocks)"));
  out.push_back(backward_mutant(kMeanGDropped, "LayerNorm dx without the mean(gamma*dy) term"));
  out.push_back(backward_mutant(kDyInDotTerm, "dy used where gamma*dy belongs in the mean(g*xhat) term of dx"));
  out.push_back(backward_mutant(kDgammaBF16, "dgamma accumulated in bf16 across rows: lost precision, "
                                             "small contributions swallowed for many rows"));
  out.push_back(backward_mutant(kHalfColumns,
                                "parameter-gradient reduction covers only half the columns (grid sized "
                                "for n/2): the rest of dgamma / dbeta is never written"));
  out.push_back(backward_mutant(kLastPartialBlock,
                                "last partial block of rows dropped from dgamma / dbeta when rows is not "
                                "a multiple of the block size (block count rounded down)"));
  out.push_back(backward_mutant(kRstdWithoutEps,
                                "rstd recomputed from x as 1/sqrt(var) without eps, instead of the saved rstd"));
  out.push_back(backward_mutant(kRmsNormLayerNormFormula,
                                "RMSNorm backward with LayerNorm's formula: x centered and mean(gamma*dy) "
                                "subtracted"));
}

}  // namespace normcheck::impls
