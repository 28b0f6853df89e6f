// The multi-run contracts on large batches: a kernel that differs only from row 24 on,
// only in one tile, only around row 1024 or only in a batch of 1024 rows or more, by one
// ulp (inside every score budget), is caught by batch invariance; a NaN that leaks out
// of the first row of a batch is caught by row isolation. Correct rows pass.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "harness/evaluate.hpp"
#include "tests/support/test_kernels.hpp"
#include "tests/support/test_problems.hpp"

namespace normcheck::harness {
namespace {

using testing::ordinary_problem;
using testing::Tamper;
using testing::TestKernel;

std::vector<std::string> classes_of(const CaseEvaluation& e) {
  std::vector<std::string> out;
  for (const auto& v : e.violations) out.push_back(std::string(class_name(v.klass)));
  return out;
}

Budget f32_budget() {
  Budget b;
  b.max_score = 16;
  b.score_per_log2n = 1;
  return b;
}

ref::NormProblem batch(std::int64_t rows, std::int64_t n = 2) {
  return ordinary_problem(ref::Op::layernorm, ref::Format::f32, ref::Format::f32, ref::Format::f32, rows, n, 11);
}

// One ulp up on the rows of a call that `wrong(rows, row)` picks.
Tamper one_ulp_off_where(std::function<bool(std::int64_t rows, std::int64_t row)> wrong) {
  Tamper t;
  t.outputs = [wrong](const ref::NormProblem& p, ref::OracleResult& r) {
    for (std::int64_t row = 0; row < p.rows; ++row) {
      if (!wrong(p.rows, row)) continue;
      for (std::int64_t c = 0; c < p.n; ++c) {
        double& y = r.y[static_cast<std::size_t>(row * p.n + c)];
        if (std::isfinite(y)) y = ref::next_up(p.y_format, y);
      }
    }
  };
  return t;
}

struct Bug {
  const char* name;
  std::function<bool(std::int64_t, std::int64_t)> wrong;
  std::int64_t rows_that_show_it;  // the batch checked
  std::int64_t rows_that_do_not;   // a batch too small for the bug (0: none)
};

class BatchBug : public ::testing::TestWithParam<Bug> {};

TEST_P(BatchBug, IsCaughtByBatchInvarianceWithinTheScoreBudget) {
  const Bug& bug = GetParam();
  TestKernel k(bug.name, NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0,
               one_ulp_off_where(bug.wrong));
  const CaseEvaluation large = evaluate_case(k.info, batch(bug.rows_that_show_it), f32_budget());
  EXPECT_EQ(classes_of(large), std::vector<std::string>{"batch-invariance"})
      << (large.violations.empty() ? "" : large.violations.front().message);
  // One ulp is inside the score: without the multi-run contracts the case passes.
  EXPECT_TRUE(evaluate_case(k.info, batch(bug.rows_that_show_it), f32_budget(), {.check_contracts = false}).passed());
  if (bug.rows_that_do_not > 0) {
    EXPECT_TRUE(evaluate_case(k.info, batch(bug.rows_that_do_not), f32_budget()).passed());
  }
}

INSTANTIATE_TEST_SUITE_P(
    LargeBatches, BatchBug,
    ::testing::Values(
        // A row tiling that goes wrong from the second full tile on.
        Bug{"from_row_24", [](std::int64_t, std::int64_t row) { return row >= 24; }, 4096, 24},
        // Only the rows of one tile, far from the first and last rows and from the evenly
        // spaced ones (0, 585, 1170, ...): the rows around the tile sizes catch it.
        Bug{"one_tile", [](std::int64_t, std::int64_t row) { return row >= 24 && row < 32; }, 4096, 24},
        // Only the first row past a block of 1024.
        Bug{"row_1024", [](std::int64_t, std::int64_t row) { return row == 1024; }, 3000, 1024},
        // Another strategy for large batches: every row differs from the row alone.
        Bug{"large_batch", [](std::int64_t rows, std::int64_t) { return rows >= 1024; }, 1024, 1023},
        // A strategy for batches of 64 rows or fewer only: in a batch of 4096 the rows are
        // right alone (one row) and in the batch, but not in the batch of the sampled rows.
        Bug{"batch_of_sampled_rows_size", [](std::int64_t rows, std::int64_t) { return rows > 8 && rows < 100; }, 4096,
            0}),
    [](const auto& param) { return std::string(param.param.name); });

TEST(RowIsolationAtScale, ANanInTheFirstRowOfALargeBatchMustStayThere) {
  Tamper leak;  // a NaN in row 0 poisons row 1, as a statistic shared by a tile would
  leak.outputs = [](const ref::NormProblem& p, ref::OracleResult& r) {
    if (p.rows < 2 || !std::isnan(p.x[0])) return;
    for (std::int64_t c = 0; c < p.n; ++c) r.y[static_cast<std::size_t>(p.n + c)] = std::nan("");
  };
  TestKernel k("first_row_leaks", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0, leak);
  const CaseEvaluation e = evaluate_case(k.info, batch(64), f32_budget());
  ASSERT_EQ(classes_of(e), std::vector<std::string>{"row-isolation"});
  EXPECT_NE(e.violations.front().message.find("rows 0, 32 and 63 made NaN"), std::string::npos)
      << e.violations.front().message;
}

TEST(RowIsolationAtScale, CorrectLargeBatchesPass) {
  TestKernel k("perfect", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0);
  for (const std::int64_t rows : {9, 25, 1025, 4096}) {
    const CaseEvaluation e = evaluate_case(k.info, batch(rows), f32_budget());
    EXPECT_TRUE(e.passed()) << rows << " rows: " << e.violations.front().message;
  }
}

}  // namespace
}  // namespace normcheck::harness
