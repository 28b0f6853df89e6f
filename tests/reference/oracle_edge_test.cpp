// Edge cases: n = 1, constant rows, NaN / inf in rows and parameters, overflow to inf,
// subnormal outputs, |x| near each format's max, fused residual exact versus rounded.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "reference/oracle.hpp"
#include "tests/reference/oracle_check.hpp"

namespace normcheck::ref {
namespace {

using testing::same_bits;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr Format kFormats[] = {Format::f16, Format::bf16, Format::f32, Format::f64};

NormProblem make(Op op, Format f, std::vector<double> x, double eps, std::int64_t rows = 1) {
  NormProblem p;
  p.op = op;
  p.x_format = p.param_format = p.y_format = f;
  p.rows = rows;
  p.n = static_cast<std::int64_t>(x.size()) / rows;
  p.x = std::move(x);
  p.eps = eps;
  return p;
}

TEST(Edge, SingleElementRowIsBeta) {
  for (Format f : kFormats) {
    NormProblem p = make(Op::layernorm, f, {3.0}, 0x1p-10);
    p.beta = {-0.75};
    p.gamma = {2.0};
    const OracleResult r = compute_oracle(p);
    EXPECT_EQ(r.y[0], -0.75);
    EXPECT_EQ(r.mean[0], 3.0);
    EXPECT_EQ(r.rstd[0], 32.0);  // 1/sqrt(2^-10)
  }
}

TEST(Edge, ConstantRows) {
  for (Format f : kFormats) {
    NormProblem p = make(Op::layernorm, f, {1.5, 1.5, 1.5}, 0x1p-20);
    p.beta = {0.25, -0.0, 4.0};
    const OracleResult r = compute_oracle(p);
    EXPECT_EQ(r.y[0], 0.25);
    EXPECT_TRUE(same_bits(r.y[1], 0.0));  // +0 (z) * 1 + (-0) = +0
    EXPECT_EQ(r.y[2], 4.0);
    p.eps = 0.0;  // var + eps = 0: 0/0
    const OracleResult nan = compute_oracle(p);
    for (double y : nan.y) EXPECT_TRUE(std::isnan(y));
    EXPECT_EQ(nan.rstd[0], kInf);
    EXPECT_EQ(nan.mean[0], 1.5);
    EXPECT_EQ(testing::compare_with_slow(p), 0);
  }
  NormProblem zeros = make(Op::rmsnorm, Format::f32, {0.0, -0.0}, 0.0);
  const OracleResult r = compute_oracle(zeros);
  EXPECT_TRUE(std::isnan(r.y[0]) && std::isnan(r.y[1]));
  EXPECT_EQ(r.rstd[0], kInf);
}

TEST(Edge, NonFiniteInARowChangesOnlyThatRow) {
  for (double bad : {kNaN, kInf, -kInf}) {
    NormProblem p = make(Op::layernorm, Format::f16, {1.0, 2.0, bad, 4.0, 1.0, 2.0, 3.0, 4.0}, 0.0, 2);
    const OracleResult r = compute_oracle(p);
    // Every deviation from an infinite mean is infinite or NaN: y and rstd are NaN, and the
    // mean is the infinity itself (IEEE on the exact math), or NaN for a NaN.
    for (int i = 0; i < 4; ++i) EXPECT_TRUE(std::isnan(r.y[static_cast<std::size_t>(i)]));
    EXPECT_TRUE(same_bits(r.mean[0], bad));
    EXPECT_TRUE(std::isnan(r.rstd[0]));
    EXPECT_EQ(r.mean[1], 2.5);
    EXPECT_EQ(testing::compare_with_slow(p), 0);
    // In the residual only.
    NormProblem q = make(Op::rmsnorm, Format::f32, {1.0, 2.0, 3.0, 4.0}, 0.0);
    q.residual = {0.0, bad, 0.0, 0.0};
    const OracleResult rq = compute_oracle(q);
    EXPECT_TRUE(std::isnan(rq.y[1]));
    if (std::isnan(bad)) {
      EXPECT_TRUE(std::isnan(rq.y[0]) && std::isnan(rq.rstd[0]));
    } else {
      EXPECT_TRUE(same_bits(rq.y[0], 0.0) && same_bits(rq.rstd[0], 0.0));  // 1 / sqrt(inf) = +0
    }
    EXPECT_TRUE(same_bits(rq.residual_out[1], 2.0 + bad));
    EXPECT_EQ(testing::compare_with_slow(q), 0);
  }
}

// RMSNorm of a row holding an infinity: the mean square is +inf, rstd = +0, and each
// finite x_i gives (+-0 * gamma_i) + beta_i (Hugging Face's LlamaRMSNorm and ggml agree).
TEST(Edge, RmsNormOfAnInfiniteRowIsSignedZeroTimesGammaPlusBeta) {
  NormProblem p = make(Op::rmsnorm, Format::f32, {-kInf, 0.0, -3.0, 5.0, 7.0}, 0.0);
  const OracleResult plain = compute_oracle(p);
  EXPECT_TRUE(std::isnan(plain.y[0]));
  EXPECT_TRUE(same_bits(plain.y[1], 0.0));
  EXPECT_TRUE(same_bits(plain.y[2], -0.0));  // the zero carries x's sign
  EXPECT_TRUE(same_bits(plain.rstd[0], 0.0));
  EXPECT_EQ(testing::compare_with_slow(p), 0);
  p.gamma = {1.0, -2.0, 0.5, kInf, 1.0};
  p.beta = {0.25, 0.0, 0.0, 1.0, 0x1.8p-3};
  const OracleResult affine = compute_oracle(p);
  EXPECT_TRUE(std::isnan(affine.y[0]));
  EXPECT_TRUE(same_bits(affine.y[1], 0.0));   // -0 + +0 = +0
  EXPECT_TRUE(same_bits(affine.y[2], 0.0));   // -0 + +0 = +0
  EXPECT_TRUE(std::isnan(affine.y[3]));       // 0 * inf
  EXPECT_EQ(affine.y[4], 0x1.8p-3);           // beta exactly
  EXPECT_EQ(testing::compare_with_slow(p), 0);
  // beta rounds to y's format once: f32 params, f16 output.
  NormProblem h = make(Op::rmsnorm, Format::f16, {kInf, 1.0}, 0.0);
  h.param_format = Format::f32;
  h.beta = {0.0, 0x1.000002p+0};
  const OracleResult half = compute_oracle(h);
  EXPECT_EQ(half.y[1], 1.0);
  EXPECT_EQ(half.y_exact[1], 0x1.000002p+0);
  EXPECT_EQ(testing::compare_with_slow(h), 0);
}

TEST(Edge, NonFiniteParametersAffectOnlyTheirColumn) {
  // z = {-1, 0, 1}: gamma = inf with z = 0 is NaN; with z = -1 it is -inf.
  NormProblem p = make(Op::layernorm, Format::f32, {-1.0, 0.0, 1.0, 1.0, 0.0, -1.0}, 0.0);
  p.n = 6;
  p.x = {-2.0, 0.0, 2.0, 2.0, 0.0, -2.0};
  p.gamma = {kInf, kInf, kNaN, 1.0, 1.0, 1.0};
  p.beta = {0.0, 0.0, 0.0, -kInf, kNaN, 0.5};
  const OracleResult r = compute_oracle(p);
  EXPECT_EQ(r.y[0], -kInf);
  EXPECT_TRUE(std::isnan(r.y[1]));
  EXPECT_TRUE(std::isnan(r.y[2]));
  EXPECT_EQ(r.y[3], -kInf);
  EXPECT_TRUE(std::isnan(r.y[4]));
  EXPECT_FALSE(std::isnan(r.y[5]));
  EXPECT_EQ(testing::compare_with_slow(p), 0);
}

TEST(Edge, ExactResultOverflowsToInfinity) {
  // z = +-1, gamma = 65504 = beta in f32 params: y = 131008 overflows f16; y_exact stays finite.
  NormProblem p = make(Op::layernorm, Format::f16, {-1.0, 1.0}, 0.0);
  p.param_format = Format::f32;
  p.gamma = {65504.0, 65504.0};
  p.beta = {65504.0 + 16.0, 65504.0};
  const OracleResult r = compute_oracle(p);
  EXPECT_EQ(r.y[0], 16.0);
  EXPECT_EQ(r.y[1], kInf);
  EXPECT_EQ(r.y_exact[1], 131008.0);
  EXPECT_EQ(testing::compare_with_slow(p), 0);
}

TEST(Edge, SubnormalOutputs) {
  for (Format f : kFormats) {
    const FormatTraits& t = traits(f);
    NormProblem p = make(Op::layernorm, f, {-1.0, 1.0, 0.5, 0.25}, 0x1p-8);
    p.param_format = Format::f64;
    const double tiny = std::ldexp(1.0, t.emin - 3);  // outputs land in the subnormal range
    p.gamma = {tiny, -tiny, tiny * 1.375, std::ldexp(1.0, t.emin - t.precision - 2)};
    const OracleResult r = compute_oracle(p);
    for (std::size_t i = 0; i < 4; ++i) EXPECT_LT(std::fabs(r.y[i]), std::ldexp(1.0, t.emin));
    EXPECT_EQ(testing::compare_with_slow(p), 0) << format_name(f);
    EXPECT_EQ(testing::compare_with_slow(p, OracleOptions{.force_exact = true}), 0) << format_name(f);
  }
}

TEST(Edge, ValuesNearEachFormatsMax) {
  for (Format f : kFormats) {
    const double max = next_down(f, kInf);
    for (Op op : {Op::layernorm, Op::rmsnorm}) {
      NormProblem p = make(op, f, {max, -max, max, next_down(f, max), -ulp(f, 0.0)}, 0.0);
      EXPECT_EQ(testing::compare_with_slow(p), 0) << format_name(f);
      p.eps = 1.0;
      EXPECT_EQ(testing::compare_with_slow(p), 0) << format_name(f);
      p.residual = {max, 0.0, -max, max, 0.0};  // exact sums reach 2*max
      EXPECT_EQ(testing::compare_with_slow(p), 0) << format_name(f);
      p.residual_sum = ResidualSum::rounded;  // the rounded sums overflow: an infinite row
      const OracleResult r = compute_oracle(p);
      // LayerNorm: NaN throughout; RMSNorm: rstd = +0, so a finite z gives a zero.
      const bool expected = op == Op::layernorm ? std::isnan(r.y[1]) : r.y[1] == 0.0 && r.rstd[0] == 0.0;
      EXPECT_TRUE(expected) << format_name(f);
      EXPECT_EQ(r.residual_out[0], kInf);
      EXPECT_EQ(testing::compare_with_slow(p), 0) << format_name(f);
    }
  }
}

TEST(Edge, FusedResidualExactVersusRounded) {
  // f16: 2048 + 1 is a tie that rounds to 2048, so the rounded sum row is {2048, 0, ...}.
  NormProblem p = make(Op::layernorm, Format::f16, {2048.0, 0.0, 1.0, -3.0}, 0.0);
  p.residual = {1.0, 0.0, 0.0, 0.0};
  const OracleResult exact = compute_oracle(p);
  p.residual_sum = ResidualSum::rounded;
  const OracleResult rounded = compute_oracle(p);
  EXPECT_EQ(exact.residual_out, rounded.residual_out);
  EXPECT_EQ(exact.residual_out[0], 2048.0);
  EXPECT_EQ(exact.mean[0], (2049.0 + 1.0 - 3.0) / 4.0);
  EXPECT_EQ(rounded.mean[0], (2048.0 + 1.0 - 3.0) / 4.0);
  EXPECT_EQ(testing::compare_with_slow(p), 0);
  p.residual_sum = ResidualSum::exact;
  EXPECT_EQ(testing::compare_with_slow(p), 0);
}

TEST(Edge, RejectsMalformedProblems) {
  NormProblem p = make(Op::layernorm, Format::f16, {1.0, 2.0}, 0.0);
  p.x[0] = 1.0 + 0x1p-20;  // not an f16 value
  EXPECT_THROW(compute_oracle(p), std::invalid_argument);
  p.x[0] = 1.0;
  p.gamma = {1.0};
  EXPECT_THROW(compute_oracle(p), std::invalid_argument);
  p.gamma.clear();
  p.eps = -1.0;
  EXPECT_THROW(compute_oracle(p), std::invalid_argument);
}


// statistics_only gives the same mean and rstd, bit for bit, on ordinary, constant,
// zero-variance, non-finite and fused rows, and no outputs.
TEST(Edge, StatisticsOnlyGivesTheSameStatisticsAndNoOutputs) {
  NormProblem p;
  p.rows = 5;
  p.n = 3;
  p.eps = 0x1p-20;
  const double inf = std::numeric_limits<double>::infinity();
  p.x = {1.0, 2.0, 4.0, 3.0, 3.0, 3.0, 0.5, -0.25, 0x1p-30, inf, 1.0, 2.0, -7.0, 0x1p20, 0x1.8p-3};
  p.residual = {0.25, 0.0, -1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, -1.0, 2.0};
  for (const Op op : {Op::layernorm, Op::rmsnorm})
    for (const bool residual : {false, true})
      for (const double eps : {0.0, 0x1p-20}) {
        NormProblem q = p;
        q.op = op;
        q.eps = eps;
        if (!residual) q.residual.clear();
        const OracleResult full = compute_oracle(q);
        OracleOptions options;
        options.statistics_only = true;
        const OracleResult stats = compute_oracle(q, options);
        EXPECT_TRUE(stats.y.empty());
        EXPECT_TRUE(stats.y_exact.empty());
        ASSERT_EQ(stats.mean.size(), full.mean.size());
        for (std::size_t r = 0; r < full.mean.size(); ++r) {
          EXPECT_TRUE(same_bits(stats.mean[r], full.mean[r])) << r;
          EXPECT_TRUE(same_bits(stats.rstd[r], full.rstd[r])) << r;
        }
      }
}

}  // namespace
}  // namespace normcheck::ref
