// Relations that must hold bit for bit: permutation equivariance, odd symmetry with
// beta = 0, invariance under x -> 2^k x with eps -> 4^k eps, and row independence.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "reference/oracle.hpp"
#include "tests/reference/bit_compare.hpp"
#include "tests/reference/test_values.hpp"

namespace normcheck::ref {
namespace {

using testing::same_bits;
constexpr Format kFormats[] = {Format::f16, Format::bf16, Format::f32, Format::f64};

// Equal bits, except that exact zeros may differ in sign (their sign follows gamma's and
// x's zero signs, which these relations do not transform).
bool same_up_to_zero_sign(double a, double b) { return same_bits(a, b) || (a == 0.0 && b == 0.0); }

NormProblem random_unit_problem(std::mt19937_64& rng) {
  const Format f = kFormats[rng() % 4];
  const auto n = static_cast<std::int64_t>(1 + rng() % 16);
  const testing::Regime regime = testing::kAllRegimes[rng() % 6];
  NormProblem p = testing::random_problem(rng, f, kFormats[rng() % 4], kFormats[rng() % 4], 1, n,
                                          regime == testing::Regime::huge ? testing::Regime::unit : regime);
  p.residual.clear();
  return p;
}

RC_GTEST_PROP(Relations, PermutationEquivariance, (std::uint64_t seed)) {
  std::mt19937_64 rng(seed);
  NormProblem p = random_unit_problem(rng);
  const OracleResult base = compute_oracle(p);
  std::vector<std::size_t> order(p.x.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  NormProblem q = p;
  for (std::size_t i = 0; i < order.size(); ++i) {
    q.x[i] = p.x[order[i]];
    if (!p.gamma.empty()) q.gamma[i] = p.gamma[order[i]];
    if (!p.beta.empty()) q.beta[i] = p.beta[order[i]];
  }
  const OracleResult permuted = compute_oracle(q);
  RC_ASSERT(same_bits(base.mean[0], permuted.mean[0]));
  RC_ASSERT(same_bits(base.rstd[0], permuted.rstd[0]));
  for (std::size_t i = 0; i < order.size(); ++i) RC_ASSERT(same_bits(permuted.y[i], base.y[order[i]]));
}

RC_GTEST_PROP(Relations, NegatingXNegatesYWithoutBeta, (std::uint64_t seed)) {
  std::mt19937_64 rng(seed);
  NormProblem p = random_unit_problem(rng);
  p.beta.clear();
  const OracleResult base = compute_oracle(p);
  NormProblem q = p;
  for (double& v : q.x) v = -v;
  const OracleResult negated = compute_oracle(q);
  RC_ASSERT(same_bits(negated.mean[0], -base.mean[0]) || base.mean[0] == 0.0);
  RC_ASSERT(same_bits(negated.rstd[0], base.rstd[0]));
  for (std::size_t i = 0; i < p.x.size(); ++i) RC_ASSERT(same_up_to_zero_sign(negated.y[i], -base.y[i]));
}

RC_GTEST_PROP(Relations, PowerOfTwoScalingWithEpsTimesFourToTheK, (std::uint64_t seed)) {
  std::mt19937_64 rng(seed);
  const Format f = kFormats[rng() % 4];
  const FormatTraits& t = traits(f);
  NormProblem p = testing::random_problem(rng, f, kFormats[rng() % 4], kFormats[rng() % 4], 1,
                                          static_cast<std::int64_t>(1 + rng() % 12), testing::Regime::unit);
  p.residual.clear();
  const int k = static_cast<int>(rng() % 7) - 3;
  // And eps, so that 4^k eps is exact (random_eps also draws subnormal and near-max values).
  if (p.eps != 0.0 && (std::ilogb(p.eps) < -1000 || std::ilogb(p.eps) > 1000)) p.eps = 0x1p-20;
  // Keep every scaled value normal so that 2^k x is exact in the format.
  for (double& v : p.x) {
    if (v != 0.0 && std::ilogb(v) <= t.emin + 4) v = 1.0;
  }
  NormProblem q = p;
  for (double& v : q.x) v = std::ldexp(v, k);
  q.eps = std::ldexp(p.eps, 2 * k);
  const OracleResult base = compute_oracle(p);
  const OracleResult scaled = compute_oracle(q);
  for (std::size_t i = 0; i < p.x.size(); ++i) RC_ASSERT(same_bits(base.y[i], scaled.y[i]));
  RC_ASSERT(same_bits(scaled.mean[0], std::ldexp(base.mean[0], k)));
  RC_ASSERT(same_bits(scaled.rstd[0], std::ldexp(base.rstd[0], -k)));
}

TEST(Relations, RowsAreIndependent) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 40; ++trial) {
    const Format f = kFormats[trial % 4];
    NormProblem batch = testing::random_problem(rng, f, kFormats[rng() % 4], kFormats[rng() % 4], 5, 9,
                                                testing::kAllRegimes[rng() % 6]);
    batch.x[9 * 2 + 3] = std::numeric_limits<double>::quiet_NaN();  // a poisoned row
    const OracleResult all = compute_oracle(batch);
    for (std::int64_t r = 0; r < batch.rows; ++r) {
      NormProblem alone = batch;
      alone.rows = 1;
      alone.x.assign(batch.x.begin() + r * 9, batch.x.begin() + (r + 1) * 9);
      if (!batch.residual.empty()) alone.residual.assign(batch.residual.begin() + r * 9, batch.residual.begin() + (r + 1) * 9);
      const OracleResult one = compute_oracle(alone);
      ASSERT_TRUE(same_bits(one.mean[0], all.mean[static_cast<std::size_t>(r)]));
      ASSERT_TRUE(same_bits(one.rstd[0], all.rstd[static_cast<std::size_t>(r)]));
      for (std::size_t i = 0; i < 9; ++i) {
        ASSERT_TRUE(same_bits(one.y[i], all.y[static_cast<std::size_t>(r) * 9 + i])) << trial << " " << r;
      }
      if (batch.op == Op::layernorm) {  // RMSNorm's mean is 0 in every row
        EXPECT_EQ(std::isnan(one.mean[0]), r == 2);
      }
    }
  }
}

}  // namespace
}  // namespace normcheck::ref
