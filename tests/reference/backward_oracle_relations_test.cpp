// Relations the correctly rounded backward outputs satisfy bitwise: permuting columns permutes
// dx, dgamma and dbeta; negating dy negates them; dy * 2^k scales them by 2^k; x * 2^k with
// eps * 4^k scales dx by 2^-k and leaves dgamma, dbeta unchanged (away from overflow and
// underflow); and the fast tiers agree with the forced exact path on 10^5 outputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <cstdio>
#include <random>

#include "tests/reference/backward_test_values.hpp"
#include "tests/reference/bit_compare.hpp"

namespace normcheck::ref {
namespace {

using testing::Gradient;
using testing::Regime;

constexpr Format kFormats[] = {Format::f16, Format::bf16, Format::f32, Format::f64};
#if defined(__SANITIZE_ADDRESS__)
constexpr int kProblems = 60;
#else
constexpr int kProblems = 400;
#endif

BackwardProblem problem(std::mt19937_64& rng, int k) {
  const Format x_format = kFormats[rng() % 4];
  const Regime regime = testing::kAllRegimes[rng() % std::size(testing::kAllRegimes)];
  const Gradient gradient = testing::kAllGradients[static_cast<std::size_t>(k) % std::size(testing::kAllGradients)];
  // One draw per statement: the order of evaluation of arguments differs between compilers.
  const Format param_format = kFormats[rng() % 4];
  const Format dy_format = kFormats[rng() % 4];
  const auto rows = static_cast<std::int64_t>(1 + rng() % 4);
  const auto n = static_cast<std::int64_t>(1 + rng() % 9);
  return testing::random_backward_problem(rng, x_format, param_format, dy_format, rows, n, regime, gradient);
}

// expected(i) == got[i] bitwise; an exact zero's sign follows its own rule (the IEEE sum or +0
// for dx), which negation does not carry, so zeros compare by value where allow_zero_sign.
int expect_elementwise(const char* what, const std::vector<double>& got, const std::vector<double>& want,
                       const BackwardProblem& p, bool allow_zero_sign) {
  for (std::size_t i = 0; i < got.size(); ++i) {
    const bool zeros = allow_zero_sign && got[i] == 0.0 && want[i] == 0.0;
    if (!zeros && !testing::same_bits(got[i], want[i])) {
      ADD_FAILURE() << what << "[" << i << "]: " << testing::hex(got[i]) << " expected " << testing::hex(want[i])
                    << "\n" << testing::describe(p);
      return 1;
    }
  }
  return 0;
}

TEST(BackwardRelations, ColumnPermutationPermutesEveryOutput) {
  std::mt19937_64 rng(11);
  int failures = 0;
  for (int k = 0; k < kProblems && failures < 5; ++k) {
    const BackwardProblem p = problem(rng, k);
    std::vector<std::size_t> perm(static_cast<std::size_t>(p.n));
    std::iota(perm.begin(), perm.end(), std::size_t{0});
    std::shuffle(perm.begin(), perm.end(), rng);
    BackwardProblem q = p;
    const auto n = static_cast<std::size_t>(p.n);
    for (std::size_t r = 0; r < static_cast<std::size_t>(p.rows); ++r) {
      for (std::size_t j = 0; j < n; ++j) {
        q.x[r * n + j] = p.x[r * n + perm[j]];
        q.dy[r * n + j] = p.dy[r * n + perm[j]];
      }
    }
    for (std::size_t j = 0; j < q.gamma.size(); ++j) q.gamma[j] = p.gamma[perm[j]];
    const BackwardOracleResult a = compute_backward_oracle(p);
    const BackwardOracleResult b = compute_backward_oracle(q);
    std::vector<double> dx(a.dx.size()), dgamma(n), dbeta(n);
    for (std::size_t r = 0; r < static_cast<std::size_t>(p.rows); ++r) {
      for (std::size_t j = 0; j < n; ++j) dx[r * n + j] = a.dx[r * n + perm[j]];
    }
    for (std::size_t j = 0; j < n; ++j) {
      dgamma[j] = a.dgamma[perm[j]];
      dbeta[j] = a.dbeta[perm[j]];
    }
    failures += expect_elementwise("dx", b.dx, dx, q, false);
    failures += expect_elementwise("dgamma", b.dgamma, dgamma, q, false);
    failures += expect_elementwise("dbeta", b.dbeta, dbeta, q, false);
  }
  EXPECT_EQ(failures, 0);
}

TEST(BackwardRelations, NegatingDyNegatesEveryOutput) {
  std::mt19937_64 rng(12);
  int failures = 0;
  for (int k = 0; k < kProblems && failures < 5; ++k) {
    const BackwardProblem p = problem(rng, k);
    BackwardProblem q = p;
    for (double& v : q.dy) v = -v;
    const BackwardOracleResult a = compute_backward_oracle(p);
    const BackwardOracleResult b = compute_backward_oracle(q);
    auto negated = [](std::vector<double> v) {
      for (double& e : v) e = -e;
      return v;
    };
    failures += expect_elementwise("dx", b.dx, negated(a.dx), q, true);
    failures += expect_elementwise("dgamma", b.dgamma, negated(a.dgamma), q, true);
    failures += expect_elementwise("dbeta", b.dbeta, negated(a.dbeta), q, true);
  }
  EXPECT_EQ(failures, 0);
}

// v * 2^k when both v and the scaled value are normal and finite in the format, else NaN (the
// element is skipped: rounding there is not scale-invariant).
double scaled_or_skip(Format f, double v, int k) {
  const FormatTraits& t = traits(f);
  const double s = std::ldexp(v, k);
  auto normal = [&](double e) {
    return std::isfinite(e) && e != 0.0 && std::fabs(e) >= std::ldexp(1.0, t.emin) &&
           std::fabs(e) < std::ldexp(1.0, t.emax);
  };
  return normal(v) && normal(s) ? s : std::nan("");
}

// got[i] == base[i] * 2^k wherever the exact value (base_exact, within 2^-10 output ulp) and its
// scaling are both normal in the format: a rounded value of 2^emin may come from a subnormal.
int expect_scaled(const char* what, Format f, const std::vector<double>& got, const std::vector<double>& base,
                  const std::vector<double>& base_exact, int k, const BackwardProblem& p) {
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(scaled_or_skip(f, base_exact[i], k))) continue;
    const double want = std::ldexp(base[i], k);
    if (!testing::same_bits(got[i], want)) {
      ADD_FAILURE() << what << "[" << i << "]: " << testing::hex(got[i]) << " expected " << testing::hex(want) << "\n"
                    << testing::describe(p);
      return 1;
    }
  }
  return 0;
}

TEST(BackwardRelations, ScalingDyByPowersOfTwoScalesEveryOutput) {
  std::mt19937_64 rng(13);
  int failures = 0, checked = 0;
  for (int k = 0; k < kProblems && failures < 5; ++k) {
    const BackwardProblem p = problem(rng, k);
    const int shift = static_cast<int>(rng() % 7) - 3;
    BackwardProblem q = p;
    bool representable = true;  // every nonzero dy stays normal in its format
    for (double& v : q.dy) {
      representable = representable && (v == 0.0 || !std::isnan(scaled_or_skip(p.dy_format, v, shift)));
      v = std::ldexp(v, shift);
    }
    if (!representable) continue;
    ++checked;
    const BackwardOracleResult a = compute_backward_oracle(p);
    const BackwardOracleResult b = compute_backward_oracle(q);
    failures += expect_scaled("dx", p.x_format, b.dx, a.dx, a.dx_exact, shift, q);
    failures += expect_scaled("dgamma", p.param_format, b.dgamma, a.dgamma, a.dgamma_exact, shift, q);
    failures += expect_scaled("dbeta", p.param_format, b.dbeta, a.dbeta, a.dbeta_exact, shift, q);
  }
  std::printf("%d problems scaled\n", checked);
  EXPECT_GT(checked, kProblems / 4);
  EXPECT_EQ(failures, 0);
}

TEST(BackwardRelations, ScalingXByTwoToTheKAndEpsByFourToTheK) {
  std::mt19937_64 rng(14);
  int failures = 0, checked = 0;
  for (int k = 0; k < kProblems && failures < 5; ++k) {
    const BackwardProblem p = problem(rng, k);
    const int shift = static_cast<int>(rng() % 5) - 2;
    BackwardProblem q = p;
    q.eps = std::ldexp(p.eps, 2 * shift);
    bool representable = std::ldexp(q.eps, -2 * shift) == p.eps;  // eps * 4^k exact
    for (double& v : q.x) {
      if (v != 0.0 && std::isnan(scaled_or_skip(p.x_format, v, shift))) representable = false;
      v = std::ldexp(v, shift);
    }
    if (!representable) continue;
    ++checked;
    const BackwardOracleResult a = compute_backward_oracle(p);
    const BackwardOracleResult b = compute_backward_oracle(q);
    failures += expect_scaled("dx", p.x_format, b.dx, a.dx, a.dx_exact, -shift, q);
    failures += expect_elementwise("dgamma", b.dgamma, a.dgamma, q, false);
    failures += expect_elementwise("dbeta", b.dbeta, a.dbeta, q, false);
  }
  std::printf("%d problems scaled\n", checked);
  EXPECT_GT(checked, kProblems / 4);
  EXPECT_EQ(failures, 0);
}

// The fast tiers (double dx, double column sums) against the forced exact path, bit for bit.
TEST(BackwardFastExact, AgreeOnManyOutputs) {
  std::mt19937_64 rng(15);
#if defined(__SANITIZE_ADDRESS__)
  const int problems = 8;
#else
  const int problems = 100;
#endif
  long outputs = 0;
  int failures = 0;
  for (int k = 0; k < problems && failures < 5; ++k) {
    const Format x_format = kFormats[k % 4];
    const Regime regime = k % 3 ? Regime::unit : Regime::offset_tiny_spread;
    const Format param_format = kFormats[rng() % 4];
    const Format dy_format = kFormats[rng() % 4];
    const BackwardProblem p = testing::random_backward_problem(
        rng, x_format, param_format, dy_format, 8, 128, regime,
        testing::kAllGradients[static_cast<std::size_t>(k) % std::size(testing::kAllGradients)]);
    const BackwardOracleResult fast = compute_backward_oracle(p);
    const BackwardOracleResult exact = compute_backward_oracle(p, {.force_exact = true});
    failures += testing::compare_backward(p, fast, exact);
    outputs += static_cast<long>(fast.dx.size() + fast.dgamma.size() + fast.dbeta.size());
  }
  std::printf("%ld outputs compared\n", outputs);
  EXPECT_EQ(failures, 0);
}

// The tiers must carry the load: on random f32 rows (outputs f32) at most 1% of the outputs
// go to the exact paths, and with force_exact all of them do.
TEST(BackwardFastExact, TiersDecideAlmostEveryOutput) {
  std::mt19937_64 rng(16);
  const BackwardProblem p = testing::random_backward_problem(rng, Format::f32, Format::f32, Format::f32, 16, 256,
                                                             Regime::unit, Gradient::random);
  const auto outputs = static_cast<std::int64_t>(p.x.size() + 2 * static_cast<std::size_t>(p.n));
  const BackwardOracleResult fast = compute_backward_oracle(p);
  std::printf("%ld of %ld outputs on the exact paths\n", static_cast<long>(fast.exact_path_outputs),
              static_cast<long>(outputs));
  EXPECT_LE(fast.exact_path_outputs * 100, outputs);
  EXPECT_EQ(compute_backward_oracle(p, {.force_exact = true}).exact_path_outputs, outputs);
}

}  // namespace
}  // namespace normcheck::ref
