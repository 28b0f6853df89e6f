// The backward oracle against the independent slow path (mpq + MPFR from 2400 bits), on both
// of its paths, over every x format, mixed param / dy formats, the forward regimes and the
// adversarial gradient shapes; and its exact values against the slow path's.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "tests/reference/backward_test_values.hpp"
#include "tests/reference/bit_compare.hpp"
#include "tests/reference/slow_backward.hpp"

namespace normcheck::ref {
namespace {

constexpr Format kFormats[] = {Format::f16, Format::bf16, Format::f32, Format::f64};
#if defined(__SANITIZE_ADDRESS__)
constexpr int kProblemsPerShape = 2;
#else
constexpr int kProblemsPerShape = 20;
#endif

// The documented accuracy of the *_exact fields: within 2^-10 of an output ulp (fast tiers)
// or one f64 ulp (exact paths) of the exact value, whose RN_f64 is b; same special values.
int check_exact(const char* field, Format format, const std::vector<double>& a, const std::vector<double>& b,
                const BackwardProblem& p) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    const bool same_class = std::isnan(a[i]) == std::isnan(b[i]);
    const double tolerance = 0x1p-10 * ulp(format, b[i]) + 0x1p-51 * std::fabs(b[i]);
    const bool close = std::isnan(b[i]) || a[i] == b[i] || std::fabs(a[i] - b[i]) <= tolerance;
    if (!same_class || !close) {
      ADD_FAILURE() << field << "[" << i << "]: " << testing::hex(a[i]) << " vs " << testing::hex(b[i]) << "\n"
                    << testing::describe(p);
      return 1;
    }
  }
  return 0;
}

class BackwardSlowPath : public ::testing::TestWithParam<Format> {};

TEST_P(BackwardSlowPath, BothPathsMatchOnEveryRegimeAndGradient) {
  const Format x_format = GetParam();
  std::mt19937_64 rng(4242 + static_cast<unsigned>(x_format));
  int failures = 0, problems = 0;
  for (testing::Regime regime : testing::kAllRegimes) {
    for (testing::Gradient gradient : testing::kAllGradients) {
      for (int k = 0; k < kProblemsPerShape && failures < 5; ++k) {
        const Format param_format = kFormats[rng() % 4];
        const Format dy_format = kFormats[rng() % 4];
        const auto rows = static_cast<std::int64_t>(1 + rng() % 5);
        const auto n = static_cast<std::int64_t>(1 + rng() % 10);
        const BackwardProblem p =
            testing::random_backward_problem(rng, x_format, param_format, dy_format, rows, n, regime, gradient);
        const BackwardOracleResult want = testing::slow_backward_oracle(p);
        const BackwardOracleResult fast = compute_backward_oracle(p);
        const BackwardOracleResult exact = compute_backward_oracle(p, {.force_exact = true});
        failures += testing::compare_backward(p, fast, want);
        failures += testing::compare_backward(p, exact, want);
        failures += check_exact("dx_exact", p.x_format, fast.dx_exact, want.dx_exact, p);
        failures += check_exact("dgamma_exact", p.param_format, fast.dgamma_exact, want.dgamma_exact, p);
        failures += check_exact("dbeta_exact", p.param_format, fast.dbeta_exact, want.dbeta_exact, p);
        failures += check_exact("dx_exact (exact path)", Format::f64, exact.dx_exact, want.dx_exact, p);
        failures += check_exact("dgamma_exact (exact path)", Format::f64, exact.dgamma_exact, want.dgamma_exact, p);
        ++problems;
      }
    }
  }
  std::printf("%s: %d problems, %d mismatching fields\n", std::string(format_name(x_format)).c_str(), problems,
              failures);
  EXPECT_EQ(failures, 0);
}

// Rows of a few hundred, f32 and f16 inputs: the fast tiers decide almost everything here, and
// must agree with the slow path element by element.
TEST_P(BackwardSlowPath, LongRowsAndManyRows) {
  const Format x_format = GetParam();
  std::mt19937_64 rng(77 + static_cast<unsigned>(x_format));
#if defined(__SANITIZE_ADDRESS__)
  const std::int64_t n = 64, rows = 8;
#else
  const std::int64_t n = 300, rows = 40;
#endif
  for (testing::Gradient gradient : {testing::Gradient::random, testing::Gradient::repeated_rows}) {
    const BackwardProblem p = testing::random_backward_problem(rng, x_format, x_format, x_format, rows, n,
                                                               testing::Regime::offset_tiny_spread, gradient);
    const BackwardOracleResult want = testing::slow_backward_oracle(p);
    EXPECT_EQ(testing::compare_backward(p, compute_backward_oracle(p), want), 0);
    EXPECT_EQ(testing::compare_backward(p, compute_backward_oracle(p, {.force_exact = true}), want), 0);
  }
}

// Many short rows: dgamma sums hundreds of groups (distinct V, and repeats merged exactly).
TEST_P(BackwardSlowPath, HundredsOfRows) {
  const Format x_format = GetParam();
  std::mt19937_64 rng(91 + static_cast<unsigned>(x_format));
#if defined(__SANITIZE_ADDRESS__)
  const std::int64_t rows = 40;
#else
  const std::int64_t rows = 300;
#endif
  for (testing::Regime regime : {testing::Regime::unit, testing::Regime::huge_and_tiny}) {
    for (testing::Gradient gradient : {testing::Gradient::random, testing::Gradient::repeated_rows}) {
      const BackwardProblem p = testing::random_backward_problem(rng, x_format, Format::f32, x_format, rows, 6,
                                                                 regime, gradient);
      const BackwardOracleResult want = testing::slow_backward_oracle(p);
      EXPECT_EQ(testing::compare_backward(p, compute_backward_oracle(p), want), 0);
      EXPECT_EQ(testing::compare_backward(p, compute_backward_oracle(p, {.force_exact = true}), want), 0);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, BackwardSlowPath, ::testing::ValuesIn(kFormats),
                         [](const auto& param_info) { return std::string(format_name(param_info.param)); });

}  // namespace
}  // namespace normcheck::ref
