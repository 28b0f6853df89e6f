// The forked worker: results match in-process evaluation, and a crash or a hang is an
// outcome (with a fresh worker afterwards), never the end of the caller.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>

#include "harness/isolation.hpp"
#include "tests/support/test_kernels.hpp"

namespace normcheck::harness {
namespace {

ref::NormProblem small_problem(double first = 1.0) {
  ref::NormProblem p;
  // One row: the multi-row contracts would poison a row with NaN themselves.
  p.rows = 1;
  p.n = 6;
  p.eps = 0x1p-10;
  p.x = {first, 2.0, -3.5, 0.25, 8.0, -1.0};
  return p;
}

IsolatedEvaluator evaluator_for(const impls::KernelInfo& kernel, int timeout_ms = 2000) {
  return IsolatedEvaluator(kernel, default_budget(kernel), EvaluateOptions{},
                           std::chrono::milliseconds(timeout_ms));
}

TEST(Isolation, WorkerAgreesWithInProcessEvaluation) {
  const auto kernel = testing::wrong_for_wide_rows();
  auto isolated = evaluator_for(kernel);
  for (int n : {3, 6}) {
    auto p = small_problem();
    p.rows = 1;
    p.n = n;
    p.x.resize(static_cast<std::size_t>(n), 0.5);
    const auto outcome = isolated.evaluate(p);
    const auto direct = evaluate_case(kernel, p, default_budget(kernel));
    ASSERT_EQ(outcome.kind, IsolatedOutcome::Kind::evaluated);
    EXPECT_EQ(outcome.evaluation.passed(), direct.passed()) << "n = " << n;
    EXPECT_EQ(outcome.evaluation.outputs_checked, direct.outputs_checked);
    EXPECT_EQ(outcome.evaluation.max_score, direct.max_score);
    EXPECT_EQ(outcome.evaluation.violations.size(), direct.violations.size());
  }
  EXPECT_EQ(isolated.forks(), 1) << "one worker serves many cases";
}

TEST(Isolation, CrashIsReportedAndTheWorkerIsReplaced) {
  auto isolated = evaluator_for(testing::crash_on_nan_kernel());
  EXPECT_EQ(isolated.evaluate(small_problem()).kind, IsolatedOutcome::Kind::evaluated);
  const auto crashed = isolated.evaluate(small_problem(std::nan("")));
  EXPECT_EQ(crashed.kind, IsolatedOutcome::Kind::crashed);
  EXPECT_EQ(crashed.first_class(), ViolationClass::crash);
  EXPECT_NE(crashed.detail.find("signal"), std::string::npos) << crashed.detail;
  const auto after = isolated.evaluate(small_problem());
  EXPECT_EQ(after.kind, IsolatedOutcome::Kind::evaluated);
  EXPECT_TRUE(after.evaluation.passed());
  EXPECT_EQ(isolated.forks(), 2);
}

// A harness error inside the worker (here: a problem whose x has the wrong length, which
// run_kernel rejects) is the harness's error, raised to the caller as without isolation,
// not a kernel finding; the worker keeps serving.
TEST(Isolation, HarnessErrorInTheWorkerIsThrownNotAFinding) {
  auto isolated = evaluator_for(testing::oracle_kernel());
  ref::NormProblem broken = small_problem();
  broken.x.resize(3);
  try {
    (void)isolated.evaluate(broken);
    ADD_FAILURE() << "expected a harness error";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("x has 3 values"), std::string::npos) << error.what();
  }
  const auto after = isolated.evaluate(small_problem());
  EXPECT_EQ(after.kind, IsolatedOutcome::Kind::evaluated);
  EXPECT_TRUE(after.evaluation.passed());
  EXPECT_EQ(isolated.forks(), 1);
}

// A timeout beyond the bound is clamped: the deadline arithmetic must not overflow.
TEST(Isolation, HugeTimeoutIsClamped) {
  IsolatedEvaluator isolated(testing::oracle_kernel(), default_budget(testing::oracle_kernel()), EvaluateOptions{},
                             std::chrono::milliseconds::max());
  EXPECT_EQ(isolated.evaluate(small_problem()).kind, IsolatedOutcome::Kind::evaluated);
}

TEST(Isolation, HangIsATimeout) {
  auto isolated = evaluator_for(testing::hanging_kernel(), 200);
  const auto start = std::chrono::steady_clock::now();
  const auto outcome = isolated.evaluate(small_problem());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(outcome.kind, IsolatedOutcome::Kind::timed_out);
  EXPECT_EQ(outcome.first_class(), ViolationClass::timeout);
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

// A legal large case gets more time: one more case timeout per 2^20 elements.
TEST(Isolation, TheTimeoutGrowsWithTheCase) {
  auto isolated = evaluator_for(testing::hanging_kernel(), 100);
  ref::NormProblem big = small_problem();
  big.n = (std::int64_t{1} << 21) + 8;
  big.x.assign(static_cast<std::size_t>(big.n), 1.5);
  big.x[0] = 2.0;
  const auto outcome = isolated.evaluate(big);
  EXPECT_EQ(outcome.kind, IsolatedOutcome::Kind::timed_out);
  EXPECT_EQ(outcome.detail, "no result within 300 ms");
  EXPECT_EQ(isolated.evaluate(small_problem()).detail, "no result within 100 ms");
}

// Several evaluators live at once (report keeps one per thread and kernel). A worker
// forked while another runs must not hold a copy of that one's request pipe, or the
// older worker never reads EOF and stopping it waits for the younger one to exit.
TEST(Isolation, StoppingAWorkerDoesNotWaitForYoungerWorkers) {
  const auto kernel = testing::oracle_kernel();
  const auto make = [&kernel] {
    return std::make_unique<IsolatedEvaluator>(kernel, default_budget(kernel), EvaluateOptions{},
                                               std::chrono::milliseconds(2000));
  };
  auto older = make();
  auto younger = make();
  ASSERT_EQ(older->evaluate(small_problem()).kind, IsolatedOutcome::Kind::evaluated);
  ASSERT_EQ(younger->evaluate(small_problem()).kind, IsolatedOutcome::Kind::evaluated);
  auto stopped = std::async(std::launch::async, [&older] { older.reset(); });
  const bool in_time = stopped.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  younger.reset();  // would release an older worker stuck on the copy
  stopped.wait();
  EXPECT_TRUE(in_time) << "stopping the older worker waited for the younger one";
}

}  // namespace
}  // namespace normcheck::harness
