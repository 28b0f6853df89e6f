// Constructed exact cases: z = +-1 from symmetric pairs, var + eps a power of 4, and exact
// midpoints that must round to even. Expected values are hand-derived bit patterns.
#include <gtest/gtest.h>

#include "reference/oracle.hpp"
#include "tests/reference/oracle_check.hpp"

namespace normcheck::ref {
namespace {

using testing::same_bits;

NormProblem make(Op op, Format x_format, Format param_format, Format y_format, std::vector<double> x, double eps) {
  NormProblem p;
  p.op = op;
  p.x_format = x_format;
  p.param_format = param_format;
  p.y_format = y_format;
  p.n = static_cast<std::int64_t>(x.size());
  p.x = std::move(x);
  p.eps = eps;
  return p;
}

TEST(ExactCases, SymmetricPairsGiveUnitZ) {
  // x = a -+ d, eps = 0: mean = a, var = d^2, z = -+1 exactly, so y = beta -+ gamma.
  for (Format f : {Format::f16, Format::bf16, Format::f32, Format::f64}) {
    NormProblem p = make(Op::layernorm, f, f, f, {3.0, 5.0, 5.0, 3.0}, 0.0);
    p.gamma = {2.0, 2.0, 0.5, 0.5};
    p.beta = {0.25, 0.25, 0.25, 0.25};
    const OracleResult r = compute_oracle(p);
    EXPECT_EQ(r.y, (std::vector<double>{-1.75, 2.25, 0.75, -0.25})) << format_name(f);
    EXPECT_EQ(r.mean[0], 4.0);
    EXPECT_EQ(r.rstd[0], 1.0);
    EXPECT_EQ(testing::compare_with_slow(p), 0);
  }
}

TEST(ExactCases, SymmetricPairsAtTiesRoundToEven) {
  // y = beta + gamma*z with z = +1: beta = 2^-11, gamma = 1 gives 1 + 2^-11, an f16 tie
  // -> 0x3c00 (1.0); beta = 3*2^-11 gives a tie -> 0x3c02 (1 + 2^-9).
  NormProblem p = make(Op::layernorm, Format::f32, Format::f32, Format::f16, {-1.0, 1.0, -1.0, 1.0}, 0.0);
  p.beta = {0.0, 0x1p-11, 0.0, 0x3p-11};
  const OracleResult r = compute_oracle(p);
  EXPECT_EQ(to_bits(Format::f16, r.y[1]), 0x3c00u);  // 1 + 2^-11 -> 1
  EXPECT_EQ(to_bits(Format::f16, r.y[3]), 0x3c02u);  // 1 + 3*2^-11 -> 1 + 2^-9
  EXPECT_EQ(r.y_exact[1], 1.0 + 0x1p-11);           // exactly representable in f64
  EXPECT_EQ(testing::compare_with_slow(p), 0);
  EXPECT_EQ(testing::compare_with_slow(p, OracleOptions{.force_exact = true}), 0);
}

TEST(ExactCases, VarPlusEpsPowerOfFour) {
  // x = {0, 0, 0, 4}: mean 1, var 3, eps 1: var + eps = 4, rstd = 0.5, z = {-1/2 x3, 3/2}.
  // gamma = 1 + 2^-10: 3/2 * gamma = 1.5 + 3*2^-11, an f16 tie between 0x3e01 and 0x3e02
  // -> 0x3e02; -1/2 * gamma = -(0.5 + 2^-11) is exact (0xb801).
  NormProblem p = make(Op::layernorm, Format::f16, Format::f16, Format::f16, {0.0, 0.0, 0.0, 4.0}, 1.0);
  p.gamma = {1.0 + 0x1p-10, 1.0, 1.0, 1.0 + 0x1p-10};
  const OracleResult r = compute_oracle(p);
  EXPECT_EQ(r.mean[0], 1.0);
  EXPECT_EQ(r.rstd[0], 0.5);
  EXPECT_EQ(to_bits(Format::f16, r.y[3]), 0x3e02u);
  EXPECT_EQ(to_bits(Format::f16, r.y[0]), 0xb801u);
  EXPECT_EQ(r.y[1], -0.5);
  EXPECT_EQ(testing::compare_with_slow(p), 0);
  EXPECT_EQ(testing::compare_with_slow(p, OracleOptions{.force_exact = true}), 0);
}

TEST(ExactCases, RmsPowerOfFour) {
  // RMSNorm x = {2, 2, 2, 2}, eps = 0: ms = 4, y = x / 2 = 1; with eps = 12: ms + eps = 16, y = 0.5.
  NormProblem p = make(Op::rmsnorm, Format::bf16, Format::bf16, Format::bf16, {2.0, -2.0, 2.0, -2.0}, 12.0);
  const OracleResult r = compute_oracle(p);
  EXPECT_EQ(r.y, (std::vector<double>{0.5, -0.5, 0.5, -0.5}));
  EXPECT_EQ(r.mean[0], 0.0);
  EXPECT_EQ(r.rstd[0], 0.25);
}

TEST(ExactCases, MeanAndRstdTiesInF64) {
  // mean of {1, 1 + 2^-52} is 1 + 2^-53, an f64 tie -> 1 (even significand).
  NormProblem p = make(Op::layernorm, Format::f64, Format::f64, Format::f64, {1.0, 1.0 + 0x1p-52}, 0.0);
  const OracleResult r = compute_oracle(p);
  EXPECT_EQ(r.mean[0], 1.0);
  // mean of {1 + 2^-52, 1 + 3*2^-52} is 1 + 2^-51 exactly; {1+2^-52, 1+2^-51}: 1 + 3*2^-53 tie -> 1 + 2^-51.
  p.x = {1.0 + 0x1p-52, 1.0 + 0x1p-51};
  EXPECT_EQ(compute_oracle(p).mean[0], 1.0 + 0x1p-51);
  // var = 2^-106 here, eps = 0: rstd = 2^53 exactly.
  EXPECT_EQ(compute_oracle(p).rstd[0], 0x1p53);
  EXPECT_EQ(testing::compare_with_slow(p), 0);
}

TEST(ExactCases, BetaCancelsTheTermExactly) {
  // z = +-1 and beta = -gamma*z: y is exactly +0 (IEEE: x + (-x) = +0).
  NormProblem p = make(Op::layernorm, Format::f32, Format::f32, Format::f32, {-1.0, 1.0}, 0.0);
  p.gamma = {3.0, 3.0};
  p.beta = {3.0, -3.0};
  const OracleResult r = compute_oracle(p);
  EXPECT_TRUE(same_bits(r.y[0], 0.0));
  EXPECT_TRUE(same_bits(r.y[1], 0.0));
  EXPECT_EQ(testing::compare_with_slow(p), 0);
}

}  // namespace
}  // namespace normcheck::ref
