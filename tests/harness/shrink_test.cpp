// The delta-debugging minimizer on predicates with a known minimal failing case, and
// the worker pipe's codec (a round trip must be exact).
#include <gtest/gtest.h>

#include <cmath>

#include "harness/shrink.hpp"
#include "harness/wire_codec.hpp"

namespace normcheck::harness {
namespace {

ref::NormProblem busy_problem() {
  ref::NormProblem p;
  p.rows = 3;
  p.n = 6;
  p.eps = 0x1.4f8b58p-17;  // 1e-5 in fp32
  for (int i = 0; i < 18; ++i) p.x.push_back(std::ldexp(1.0 + i / 8.0, i % 5 - 2));
  p.x[10] = 300.0;  // row 1, column 4
  p.gamma.assign(6, 0.75);
  p.beta.assign(6, -0.5);
  return p;
}

TEST(Shrink, ReachesTheSmallestCaseWithTheSameFailure) {
  // "Fails" whenever some x exceeds 100: the minimum is one element, 2^k > 100.
  const StillFails big_value = [](const ref::NormProblem& p) {
    for (double v : p.x)
      if (v > 100.0) return true;
    return false;
  };
  const auto result = minimize_problem(busy_problem(), big_value);
  EXPECT_EQ(result.problem.rows, 1);
  EXPECT_EQ(result.problem.n, 1);
  EXPECT_TRUE(result.problem.gamma.empty());
  EXPECT_TRUE(result.problem.beta.empty());
  EXPECT_EQ(result.problem.eps, 0.0);
  ASSERT_EQ(result.problem.x.size(), 1u);
  EXPECT_EQ(result.problem.x[0], 256.0) << "the power of two of 300's binade";
  std::printf("shrunk 18 -> 1 element in %d evaluations\n", result.evaluations);
}

TEST(Shrink, KeepsWhatTheFailureNeeds) {
  // Needs two rows and n >= 5 (like a batch bug in a blocked kernel).
  const StillFails needs_shape = [](const ref::NormProblem& p) { return p.rows >= 2 && p.n >= 5; };
  const auto result = minimize_problem(busy_problem(), needs_shape);
  EXPECT_EQ(result.problem.rows, 2);
  EXPECT_EQ(result.problem.n, 5);
  for (double v : result.problem.x) EXPECT_EQ(v, 0.0);
  EXPECT_EQ(result.problem.x.size(), 10u);
}

ref::NormProblem large_batch(std::int64_t rows, std::int64_t n) {
  ref::NormProblem p;
  p.rows = rows;
  p.n = n;
  for (std::int64_t i = 0; i < rows * n; ++i) p.x.push_back(std::ldexp(1.0 + static_cast<double>(i % 7) / 8, 0));
  return p;
}

TEST(Shrink, ALargeBatchShrinksByHalvingNotRowByRow) {
  // Fails while the batch has a row 24 (a bug from the second full tile on): every row
  // alone passes, so trying the 4096 rows one by one would spend the budget for nothing.
  const StillFails from_row_24 = [](const ref::NormProblem& p) { return p.rows >= 25; };
  const auto tiled = minimize_problem(large_batch(4096, 4), from_row_24);
  EXPECT_EQ(tiled.problem.rows, 25);
  EXPECT_EQ(tiled.problem.n, 1);
  EXPECT_LT(tiled.evaluations, 400);

  // One bad row among 4096: found by halving in a few dozen evaluations.
  ref::NormProblem one_bad = large_batch(4096, 4);
  one_bad.x[3001 * 4 + 2] = 300.0;
  const StillFails big_value = [](const ref::NormProblem& p) {
    for (double v : p.x)
      if (v > 100.0) return true;
    return false;
  };
  const auto single = minimize_problem(one_bad, big_value);
  EXPECT_EQ(single.problem.rows, 1);
  EXPECT_EQ(single.problem.n, 1);
  std::printf("4096 rows -> %lld rows in %d evaluations; one bad row -> 1 element in %d\n",
              static_cast<long long>(tiled.problem.rows), tiled.evaluations, single.evaluations);
}

TEST(Shrink, RespectsTheEvaluationBudget) {
  int calls = 0;
  const StillFails always = [&calls](const ref::NormProblem&) {
    ++calls;
    return false;
  };
  ShrinkLimits limits;
  limits.max_evaluations = 7;
  const auto result = minimize_problem(busy_problem(), always, limits);
  EXPECT_EQ(calls, 7);
  EXPECT_EQ(result.evaluations, 7);
  EXPECT_EQ(result.problem.n, 6);

  // And by the elements judged: a row of 65,536 that never shrinks stops after 2^20.
  calls = 0;
  ShrinkLimits elements;
  elements.max_elements_evaluated = std::int64_t{1} << 20;
  ref::NormProblem long_row;
  long_row.n = 65536;
  long_row.x.assign(65536, 1.0);
  const auto stopped = minimize_problem(long_row, always, elements);
  EXPECT_LE(stopped.evaluations, 40);
  EXPECT_EQ(stopped.problem.n, 65536);
}

TEST(WireCodec, ProblemAndEvaluationRoundTripExactly) {
  auto p = busy_problem();
  p.op = ref::Op::rmsnorm;
  p.x_format = ref::Format::f16;
  p.residual.assign(p.x.size(), -0.0);
  p.x[3] = std::nan("");
  p.residual_sum = ref::ResidualSum::rounded;
  const auto q = wire::decode_problem(wire::encode_problem(p));
  EXPECT_EQ(q.op, p.op);
  EXPECT_EQ(q.x_format, p.x_format);
  EXPECT_EQ(q.residual_sum, p.residual_sum);
  EXPECT_EQ(q.rows, p.rows);
  EXPECT_EQ(q.n, p.n);
  EXPECT_EQ(q.eps, p.eps);
  EXPECT_TRUE(std::isnan(q.x[3]));
  EXPECT_TRUE(std::signbit(q.residual[0]));
  EXPECT_EQ(q.gamma, p.gamma);

  CaseEvaluation e;
  e.outputs_checked = 12;
  e.max_score = 3.5;
  e.max_ulp_distance = 4;
  e.violations.push_back({ViolationClass::score, "row 0, col 1: got 0x1p+0"});
  const auto f = wire::decode_evaluation(wire::encode_evaluation(e));
  EXPECT_EQ(f.outputs_checked, 12);
  EXPECT_EQ(f.max_score, 3.5);
  ASSERT_EQ(f.violations.size(), 1u);
  EXPECT_EQ(f.violations[0].klass, ViolationClass::score);
  EXPECT_EQ(f.violations[0].message, e.violations[0].message);
  EXPECT_THROW(wire::decode_problem("abc"), std::runtime_error);
}

}  // namespace
}  // namespace normcheck::harness
