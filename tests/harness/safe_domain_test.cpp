// The safe-domain measurement against the analytical boundaries of a kernel that sums x^2
// in fp32 without scaling (mutant.rmsnorm.sum_squares_overflow): a row of n values of
// equal magnitude a overflows once n a^2 passes FLT_MAX ~ 2^128, so at a = 2^64 / sqrt(n).
#include "harness/safe_domain.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "harness/evaluate.hpp"
#include "tests/support/test_kernels.hpp"

namespace normcheck::harness {
namespace {

const impls::KernelInfo& kernel(const char* name) {
  return testing::builtin_kernel(name);
}

DomainJudge judge_with(const impls::KernelInfo& k) {
  return [&k](const ref::NormProblem& p) -> std::optional<Violation> {
    const auto evaluation = evaluate_case(k, p, default_budget(k));
    if (evaluation.passed()) return std::nullopt;
    return evaluation.violations.front();
  };
}

// One row of n values +-a, alternating signs (RMSNorm: every element counts in sum x^2).
ref::NormProblem alternating_row(ref::Op op, std::int64_t n, double a) {
  ref::NormProblem p;
  p.op = op;
  p.n = n;
  p.x.resize(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) p.x[static_cast<std::size_t>(i)] = i % 2 == 0 ? a : -a;
  return p;
}

// The analytical bound is for exact squares; the kernel's, rounded to fp32, may sum to
// exactly FLT_MAX a few ulps above it.
constexpr double kRounding = 1e-6;

// log2 of the largest a for which n a^2 stays at most FLT_MAX.
double analytic_overflow_log2(std::int64_t n) {
  return 0.5 * (std::log2(static_cast<double>(std::numeric_limits<float>::max())) -
                std::log2(static_cast<double>(n)));
}

TEST(SafeDomain, SumOfSquaresOverflowIsBoundedAtTheAnalyticalMagnitude) {
  const auto& mutant = kernel("mutant.rmsnorm.sum_squares_overflow");
  for (const std::int64_t n : {1, 768, 4097}) {
    const auto failing = alternating_row(ref::Op::rmsnorm, n, std::ldexp(1.0, 70));
    ASSERT_TRUE(has_extreme_magnitude(failing, ref::Format::f32));
    const auto domain = measure_safe_domain(failing, ref::Format::f32, judge_with(mutant));
    ASSERT_TRUE(domain.has_value()) << "n = " << n;
    EXPECT_EQ(domain->side, DomainSide::upper);
    EXPECT_EQ(domain->n, n);
    // Half-binade steps: the bound is the last step at or below the analytical one.
    const double analytic = analytic_overflow_log2(n);
    EXPECT_LE(domain->log2_abs_x(), analytic + kRounding) << "n = " << n;
    EXPECT_GT(domain->log2_abs_x(), analytic - 0.5) << "n = " << n;
    EXPECT_GT(std::log2(domain->failing_abs_x), analytic) << "n = " << n;
    EXPECT_NEAR(std::log2(domain->failing_abs_x) - domain->log2_abs_x(), 0.5, 1e-6);
    EXPECT_EQ(domain->cause,
              n == 1 ? DomainCause::square_overflow : DomainCause::square_sum_overflow)
        << "n = " << n;
    EXPECT_LE(domain->evaluations, kMaxDomainEvaluations);
    std::printf("n = %lld: %s\n  %s\n", static_cast<long long>(n), describe_domain(*domain).c_str(),
                describe_domain_evidence(*domain).c_str());
  }
}

TEST(SafeDomain, TheLineNamesTheBoundTheShapeAndTheCause) {
  const auto& mutant = kernel("mutant.rmsnorm.sum_squares_overflow");
  const auto domain =
      measure_safe_domain(alternating_row(ref::Op::rmsnorm, 1, std::ldexp(1.0, 100)),
                          ref::Format::f32, judge_with(mutant));
  ASSERT_TRUE(domain.has_value());
  // x^2 = 2^128 is already beyond FLT_MAX: 2^63.5 (rounded to f32) is the last half binade within.
  EXPECT_EQ(describe_domain(*domain).rfind(
                "within budget for |x| <= 2^63.5 (n = 1); beyond, x^2 overflows in fp32", 0),
            0u)
      << describe_domain(*domain);
}

TEST(SafeDomain, TinyRowsAreBoundedFromBelowWhereTheSquaresUnderflow) {
  const auto& mutant = kernel("mutant.rmsnorm.sum_squares_overflow");
  // Significands that use every bit, so the subnormal squares lose them.
  auto failing = alternating_row(ref::Op::rmsnorm, 8, 1.0);
  for (std::size_t i = 0; i < failing.x.size(); ++i)
    failing.x[i] = static_cast<double>(static_cast<float>(
        std::ldexp(failing.x[i] * (1.0 + 0.1234567 * static_cast<double>(i)), -90)));
  ASSERT_TRUE(has_extreme_magnitude(failing, ref::Format::f32));
  ASSERT_FALSE(judge_with(mutant)(failing) == std::nullopt)
      << "the tiny row must fail on the mutant";
  const auto domain = measure_safe_domain(failing, ref::Format::f32, judge_with(mutant));
  ASSERT_TRUE(domain.has_value());
  EXPECT_EQ(domain->side, DomainSide::lower);
  // Squares are normal down to |x| = 2^-63; a score budget of ~19 f32 ulps is lost some
  // binades into the subnormals (x^2 keeps 149 + 2 log2|x| bits), and nothing is left
  // below 2^-75.
  EXPECT_LE(domain->log2_abs_x(), -60.0);
  EXPECT_GE(domain->log2_abs_x(), -75.0);
  EXPECT_TRUE(domain->cause == DomainCause::square_underflow ||
              domain->cause == DomainCause::mean_square_underflow)
      << describe_domain(*domain);
  EXPECT_EQ(describe_domain(*domain).rfind("within budget for |x| >= 2^", 0), 0u)
      << describe_domain(*domain);
  std::printf("%s\n  %s\n", describe_domain(*domain).c_str(),
              describe_domain_evidence(*domain).c_str());
}

TEST(SafeDomain, ACorrectKernelOnTheSameRowHasNoBoundary) {
  const auto& correct = kernel("rmsnorm.f32");
  const auto row = alternating_row(ref::Op::rmsnorm, 768, std::ldexp(1.0, 70));
  ASSERT_EQ(judge_with(correct)(row), std::nullopt);
  EXPECT_FALSE(measure_safe_domain(row, ref::Format::f32, judge_with(correct)).has_value());
}

TEST(SafeDomain, AFailureAtOrdinaryMagnitudesIsNotOneOfRange) {
  // n - 1 in place of n fails at every magnitude: scaled to 1 it still fails.
  const auto& mutant = kernel("mutant.layernorm.unbiased_variance");
  auto row = alternating_row(ref::Op::layernorm, 4, std::ldexp(1.0, 70));
  row.x[1] = std::ldexp(3.0, 68);
  ASSERT_NE(judge_with(mutant)(row), std::nullopt);
  const auto domain = measure_safe_domain(row, ref::Format::f32, judge_with(mutant));
  EXPECT_FALSE(domain.has_value());
}

TEST(SafeDomain, OrdinaryMagnitudesAreNotMeasured) {
  EXPECT_FALSE(has_extreme_magnitude(alternating_row(ref::Op::rmsnorm, 4, 1e9), ref::Format::f32));
  EXPECT_TRUE(has_extreme_magnitude(alternating_row(ref::Op::rmsnorm, 4, 1e10), ref::Format::f32));
  EXPECT_TRUE(has_extreme_magnitude(alternating_row(ref::Op::rmsnorm, 4, 1e-10), ref::Format::f32));
  EXPECT_FALSE(has_extreme_magnitude(alternating_row(ref::Op::rmsnorm, 4, 0.0), ref::Format::f32));
}

TEST(SafeDomain, BoundsKeepTheTightestOfEachSide) {
  DomainBounds bounds;
  SafeDomain upper;
  upper.abs_x = 1e19;
  bounds.add(upper);
  upper.abs_x = 1e18;
  bounds.add(upper);
  SafeDomain lower;
  lower.side = DomainSide::lower;
  lower.abs_x = 1e-20;
  bounds.add(lower);
  lower.abs_x = 1e-19;
  bounds.add(lower);
  EXPECT_EQ(bounds.max_abs_x, 1e18);
  EXPECT_EQ(bounds.min_abs_x, 1e-19);
}

}  // namespace
}  // namespace normcheck::harness
