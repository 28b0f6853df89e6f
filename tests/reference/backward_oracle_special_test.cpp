// The backward oracle's special values (docs/oracle.md, "The backward pass"): non-finite x,
// dy or gamma, var + eps = 0, and the signs of exact zero sums, on hand-made problems.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "reference/backward_oracle.hpp"
#include "tests/reference/bit_compare.hpp"

namespace normcheck::ref {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
using testing::same_bits;

BackwardProblem two_rows(Op op, std::vector<double> x, std::vector<double> dy) {
  BackwardProblem p;
  p.op = op;
  p.x_format = p.param_format = p.dy_format = Format::f32;
  p.rows = 2;
  p.n = 3;
  p.eps = 0x1p-10;
  p.x = std::move(x);
  p.dy = std::move(dy);
  return p;
}

void expect_all_nan(const double* v, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) EXPECT_TRUE(std::isnan(v[i])) << i;
}

TEST(BackwardSpecial, NanInXMakesItsRowsDxAndEveryDgammaNan) {
  for (Op op : {Op::layernorm, Op::rmsnorm}) {
    const BackwardProblem p = two_rows(op, {1, kNaN, 3, 1, 2, 4}, {1, 2, 3, -1, 0.5, 2});
    const auto r = compute_backward_oracle(p);
    expect_all_nan(r.dx.data(), 3);
    for (int i = 3; i < 6; ++i) EXPECT_TRUE(std::isfinite(r.dx[i]));
    expect_all_nan(r.dgamma.data(), 3);
    EXPECT_TRUE(same_bits(r.dbeta[0], 0.0) && same_bits(r.dbeta[1], 2.5) && same_bits(r.dbeta[2], 5.0));
  }
}

TEST(BackwardSpecial, LayerNormInfinityIsLikeNan) {
  const auto r = compute_backward_oracle(two_rows(Op::layernorm, {1, kInf, 3, 1, 2, 4}, {1, 2, 3, -1, 0.5, 2}));
  expect_all_nan(r.dx.data(), 3);
  expect_all_nan(r.dgamma.data(), 3);
}

// RMSNorm: rstd = +0, xhat_j = +-0 for finite x_j: those columns get zero terms from the row,
// so dgamma equals the other row's alone; the infinite column is NaN.
TEST(BackwardSpecial, RmsNormInfinityGivesZeroTermsInFiniteColumns) {
  const BackwardProblem p = two_rows(Op::rmsnorm, {1, -kInf, 3, 1, 2, 4}, {1, 2, 3, -1, 0.5, 2});
  const auto r = compute_backward_oracle(p);
  expect_all_nan(r.dx.data(), 3);
  BackwardProblem second = p;
  second.rows = 1;
  second.x = {1, 2, 4};
  second.dy = {-1, 0.5, 2};
  const auto alone = compute_backward_oracle(second);
  EXPECT_TRUE(same_bits(r.dgamma[0], alone.dgamma[0]));
  EXPECT_TRUE(std::isnan(r.dgamma[1]));
  EXPECT_TRUE(same_bits(r.dgamma[2], alone.dgamma[2]));
}

TEST(BackwardSpecial, ZeroVarianceWithZeroEpsIsNan) {
  BackwardProblem p = two_rows(Op::layernorm, {2, 2, 2, 1, 2, 4}, {1, 2, 3, -1, 0.5, 2});
  p.eps = 0.0;
  const auto r = compute_backward_oracle(p);
  expect_all_nan(r.dx.data(), 3);
  expect_all_nan(r.dgamma.data(), 3);
  EXPECT_TRUE(std::isfinite(r.dx[3]));
}

TEST(BackwardSpecial, NonFiniteDyReachesItsRowAndColumnOnly) {
  // dy = +inf where D > 0: dgamma +inf; dy = -inf where D = 0 (x at the mean): NaN.
  const BackwardProblem p = two_rows(Op::layernorm, {1, 2, 3, 1, 2, 4}, {1, -kInf, kInf, -1, 0.5, 2});
  const auto r = compute_backward_oracle(p);
  expect_all_nan(r.dx.data(), 3);
  for (int i = 3; i < 6; ++i) EXPECT_TRUE(std::isfinite(r.dx[i]));
  EXPECT_TRUE(std::isfinite(r.dgamma[0]));
  EXPECT_TRUE(std::isnan(r.dgamma[1]));
  EXPECT_TRUE(same_bits(r.dgamma[2], kInf));
  EXPECT_TRUE(same_bits(r.dbeta[1], -kInf));
  EXPECT_TRUE(same_bits(r.dbeta[2], kInf));
  // Opposite infinities in one column: NaN; a NaN dy: NaN.
  const auto q = compute_backward_oracle(two_rows(Op::layernorm, {1, 2, 3, 1, 2, 4}, {kInf, kNaN, 0, -kInf, 1, 0}));
  EXPECT_TRUE(std::isnan(q.dbeta[0]) && std::isnan(q.dgamma[0]));
  EXPECT_TRUE(std::isnan(q.dbeta[1]) && std::isnan(q.dgamma[1]));
}

TEST(BackwardSpecial, NonFiniteGammaMakesEveryDxNanButNotTheSums) {
  BackwardProblem p = two_rows(Op::rmsnorm, {1, 2, 3, 1, 2, 4}, {1, 2, 3, -1, 0.5, 2});
  BackwardProblem finite = p;
  p.gamma = {1, kInf, 1};
  const auto r = compute_backward_oracle(p);
  const auto f = compute_backward_oracle(finite);
  expect_all_nan(r.dx.data(), 6);
  for (int j = 0; j < 3; ++j) {
    EXPECT_TRUE(same_bits(r.dgamma[j], f.dgamma[j]));
    EXPECT_TRUE(same_bits(r.dbeta[j], f.dbeta[j]));
  }
}

// Exact zero sums: -0 only when every term is -0 (IEEE); an exact zero dx is +0.
TEST(BackwardSpecial, SignsOfExactZeros) {
  BackwardProblem p = two_rows(Op::layernorm, {5, 5, 5, 5, 5, 5}, {-1, 2, -0.0, -3, 4, -0.0});
  const auto r = compute_backward_oracle(p);  // constant rows, eps > 0: every xhat = +0
  EXPECT_TRUE(same_bits(r.dgamma[0], -0.0));  // (-1)(+0) + (-3)(+0)
  EXPECT_TRUE(same_bits(r.dgamma[1], 0.0));
  EXPECT_TRUE(same_bits(r.dgamma[2], -0.0));  // (-0)(+0) + (-0)(+0)
  EXPECT_TRUE(same_bits(r.dbeta[2], -0.0));
  // dx = rstd (g - mean(g)): g = (-1, 2, -0) has mean 1/3; dx_2 = -rstd/3, nonzero.
  EXPECT_LT(r.dx[2], 0.0);
  BackwardProblem c = two_rows(Op::layernorm, {1, 2, 3, 1, 2, 3}, {1, 1, 1, -1, -1, 1});
  const auto z = compute_backward_oracle(c);
  EXPECT_TRUE(same_bits(z.dbeta[0], 0.0));  // 1 + (-1): an exact cancellation is +0
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(same_bits(z.dx[i], 0.0));  // dy constant: dx = +0 exactly
  for (bool exact : {false, true}) {
    const auto e = compute_backward_oracle(c, {.force_exact = exact});
    for (int i = 0; i < 6; ++i) EXPECT_TRUE(same_bits(e.dx[i], z.dx[i]));
  }
}

TEST(BackwardSpecial, NoRowsGivesZeroSums) {
  BackwardProblem p = two_rows(Op::layernorm, {}, {});
  p.rows = 0;
  const auto r = compute_backward_oracle(p);
  EXPECT_TRUE(r.dx.empty());
  for (int j = 0; j < 3; ++j) EXPECT_TRUE(same_bits(r.dgamma[j], 0.0) && same_bits(r.dbeta[j], 0.0));
}

TEST(BackwardSpecial, RejectsMalformedProblems) {
  BackwardProblem p = two_rows(Op::layernorm, {1, 2, 3, 1, 2, 4}, {1, 2, 3});
  EXPECT_THROW(compute_backward_oracle(p), std::invalid_argument);
  p = two_rows(Op::layernorm, {1, 2, 3, 1, 2, 4}, {1, 2, 3, 1, 2, 0x1.0000001p0});  // not an f32
  EXPECT_THROW(compute_backward_oracle(p), std::invalid_argument);
}

}  // namespace
}  // namespace normcheck::ref

namespace normcheck::ref {
namespace {

// Rows with V_b = 6 and V_a = 24 = 4 V_b (x scaled by 2^1: X = (0, 2, 1) and (1, 3, 5)), so
// column 0's terms dy D / sqrt(V) are -3 dy_a0 / sqrt(6) and -3 dy_b0 / sqrt(6): with
// dy_b0 = -dy_a0 the sum is exactly 0, which no interval decides. The loop stops at the cap,
// answers +0 and counts the column; the other columns are decided.
TEST(BackwardDgammaCap, ExactCancellationAcrossRowsReachesTheCapAndIsCounted) {
  BackwardProblem p;
  p.op = Op::layernorm;
  p.rows = 2;
  p.n = 3;
  p.x = {0.5, 1.5, 2.5, 0, 1, 0.5};
  p.dy = {1, 1, 1, -1, 1, 1};
  for (bool exact : {false, true}) {
    const auto r = compute_backward_oracle(p, {.force_exact = exact});
    EXPECT_EQ(r.dgamma_capped, 1);
    EXPECT_TRUE(testing::same_bits(r.dgamma[0], 0.0));
    EXPECT_TRUE(std::isfinite(r.dgamma[1]) && std::isfinite(r.dgamma[2]));
  }
}

}  // namespace
}  // namespace normcheck::ref
