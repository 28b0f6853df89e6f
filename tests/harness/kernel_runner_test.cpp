// Tests of the kernel runner: exact encoding per dtype, sentinels, guards, adaptation.
#include "harness/kernel_runner.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <gtest/gtest.h>

#include "tests/support/abi_values.hpp"

namespace normcheck::harness {
namespace {

using testing::format_of;
using testing::load_value;
using testing::store_value;

// Copies x to y (same dtype), residual to residual_out, and row index / eps into the
// stats, so that every channel of the ABI is observable.
normcheck_status echo_run(const normcheck_kernel* self, const normcheck_problem* p) {
  const ref::Format xf = format_of(self->x_dtype);
  for (std::int64_t i = 0; i < p->rows * p->n; ++i) {
    double v = load_value(xf, p->x, i);
    if (p->gamma != nullptr) v *= load_value(format_of(self->param_dtype), p->gamma, i % p->n);
    store_value(format_of(self->y_dtype), p->y, i, v);
    if (p->residual_out != nullptr) store_value(xf, p->residual_out, i, load_value(xf, p->residual, i));
  }
  if (p->mean != nullptr) {
    for (std::int64_t r = 0; r < p->rows; ++r) {
      p->mean[r] = static_cast<float>(r);
      p->rstd[r] = static_cast<float>(p->eps);
    }
  }
  return NORMCHECK_OK;
}

normcheck_status silent_run(const normcheck_kernel*, const normcheck_problem*) { return NORMCHECK_OK; }

normcheck_status overrun_run(const normcheck_kernel* self, const normcheck_problem* p) {
  echo_run(self, p);
  store_value(format_of(self->y_dtype), p->y, p->rows * p->n, 0.0);  // one past the end
  return NORMCHECK_OK;
}

normcheck_status in_place_run(const normcheck_kernel* self, const normcheck_problem* p) {
  echo_run(self, p);
  store_value(format_of(self->x_dtype), const_cast<void*>(p->x), 0, 42.0);
  return NORMCHECK_OK;
}

normcheck_kernel make_kernel(normcheck_dtype dtype, std::uint32_t flags,
                             decltype(normcheck_kernel::run) run = &echo_run) {
  return normcheck_kernel{"echo", NORMCHECK_LAYERNORM, dtype, dtype, dtype, flags, nullptr, run};
}

ref::NormProblem problem_of(ref::Format f, std::vector<double> x, std::int64_t rows) {
  ref::NormProblem p;
  p.x_format = p.param_format = p.y_format = f;
  p.rows = rows;
  p.n = static_cast<std::int64_t>(x.size()) / rows;
  p.eps = 0x1.4f8b58p-17;
  p.x = std::move(x);
  return p;
}

class KernelRunnerTest : public ::testing::TestWithParam<normcheck_dtype> {};

TEST_P(KernelRunnerTest, EncodesAndDecodesEveryValueExactly) {
  const normcheck_dtype dtype = GetParam();
  const ref::Format f = format_of(dtype);
  const double tiny = ref::from_bits(f, 1);
  const double max = ref::next_down(f, HUGE_VAL);
  const std::vector<double> x = {0.0, -0.0, tiny, -tiny, 1.0, ref::next_up(f, 1.0), max, -HUGE_VAL,
                                 HUGE_VAL, std::nan(""), -0.375, 3 * tiny};
  const normcheck_kernel kernel = make_kernel(dtype, NORMCHECK_FUSED_RESIDUAL | NORMCHECK_WRITES_STATS);
  ref::NormProblem p = problem_of(f, x, 2);
  p.residual = x;
  std::reverse(p.residual.begin(), p.residual.end());
  ASSERT_TRUE(kernel_accepts(kernel, p));
  const KernelRun run = run_kernel(kernel, p);
  EXPECT_EQ(run.status, NORMCHECK_OK);
  EXPECT_EQ(run.memory_violation, "");
  EXPECT_TRUE(run.unwritten_y.empty());
  ASSERT_EQ(run.y.size(), x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(ref::to_bits(f, run.y[i]), ref::to_bits(f, x[i])) << i;
    EXPECT_EQ(ref::to_bits(f, run.residual_out[i]), ref::to_bits(f, p.residual[i])) << i;
  }
  ASSERT_EQ(run.mean.size(), 2u);
  EXPECT_EQ(run.mean[1], 1.0);
  EXPECT_EQ(run.rstd[0], 0x1.4f8b58p-17);  // eps reached the kernel exactly
}

TEST_P(KernelRunnerTest, UnwrittenOutputsAreReported) {
  const normcheck_dtype dtype = GetParam();
  const normcheck_kernel kernel = make_kernel(dtype, 0, &silent_run);
  const KernelRun run = run_kernel(kernel, problem_of(format_of(dtype), {1, 2, 3}, 1));
  EXPECT_EQ(run.unwritten_y, (std::vector<std::int64_t>{0, 1, 2}));
  for (double y : run.y) EXPECT_TRUE(std::isnan(y));
}

TEST_P(KernelRunnerTest, WritesOutsideTheBuffersAreCaught) {
  const normcheck_dtype dtype = GetParam();
  const ref::NormProblem p = problem_of(format_of(dtype), {1, 2, 3, 4}, 2);
  EXPECT_EQ(run_kernel(make_kernel(dtype, 0, &overrun_run), p).memory_violation, "wrote outside y");
  EXPECT_EQ(run_kernel(make_kernel(dtype, 0, &in_place_run), p).memory_violation, "changed x");
}

INSTANTIATE_TEST_SUITE_P(AllDtypes, KernelRunnerTest,
                         ::testing::Values(NORMCHECK_F16, NORMCHECK_BF16, NORMCHECK_F32, NORMCHECK_F64),
                         [](const auto& param_info) {
                           return std::string(ref::format_name(format_of(param_info.param)));
                         });

TEST(KernelRunnerScalarTest, StatsBuffersOnlyForKernelsThatWriteThem) {
  const normcheck_kernel kernel = make_kernel(NORMCHECK_F32, 0);
  const KernelRun run = run_kernel(kernel, problem_of(ref::Format::f32, {1, 2}, 1));
  EXPECT_TRUE(run.mean.empty());
  EXPECT_TRUE(run.rstd.empty());
  EXPECT_TRUE(run.residual_out.empty());
}

TEST(KernelRunnerScalarTest, AcceptsOnlyMatchingProblems) {
  const normcheck_kernel kernel = make_kernel(NORMCHECK_F16, 0);
  ref::NormProblem p = problem_of(ref::Format::f16, {1, 2}, 1);
  EXPECT_TRUE(kernel_accepts(kernel, p));
  p.op = ref::Op::rmsnorm;
  EXPECT_FALSE(kernel_accepts(kernel, p));
  p.op = ref::Op::layernorm;
  p.y_format = ref::Format::f32;
  EXPECT_FALSE(kernel_accepts(kernel, p));
  p.y_format = ref::Format::f16;
  p.residual = {0, 0};
  EXPECT_FALSE(kernel_accepts(kernel, p));  // not fused
  EXPECT_THROW(run_kernel(kernel, p), std::invalid_argument);
  p.residual.clear();
  p.x.push_back(3);  // rows * n mismatch
  EXPECT_THROW(run_kernel(kernel, p), std::invalid_argument);
}

TEST(KernelRunnerScalarTest, MismatchNamesWhatTheCaseIsAndWhatTheKernelTakes) {
  normcheck_kernel kernel = make_kernel(NORMCHECK_F16, 0);
  ref::NormProblem p = problem_of(ref::Format::f16, {1, 2}, 1);
  EXPECT_EQ(problem_mismatch(kernel, p), "");
  p.op = ref::Op::rmsnorm;
  EXPECT_EQ(problem_mismatch(kernel, p),
            "case is rmsnorm f16/f16/f16 without residual, kernel takes layernorm f16/f16/f16 without residual");
  p.op = ref::Op::layernorm;
  p.param_format = ref::Format::f32;
  EXPECT_NE(problem_mismatch(kernel, p), "");
  p.param_format = ref::Format::f16;
  p.residual = {0, 0};
  EXPECT_NE(problem_mismatch(kernel, p), "");  // not fused

  kernel.flags = NORMCHECK_FUSED_RESIDUAL | NORMCHECK_NORMALIZES_ROUNDED_SUM;
  p.residual_sum = ref::ResidualSum::exact;
  EXPECT_EQ(problem_mismatch(kernel, p),
            "case is layernorm f16/f16/f16 with residual (exact sum), kernel takes layernorm f16/f16/f16 with or "
            "without residual (rounded sum)");
  p.residual_sum = ref::ResidualSum::rounded;
  EXPECT_EQ(problem_mismatch(kernel, p), "");
  p.residual.clear();  // a fused kernel takes residual = NULL too
  EXPECT_EQ(problem_mismatch(kernel, p), "");
}

TEST(KernelRunnerScalarTest, AdaptRoundsToTheKernelsDtypes) {
  normcheck_kernel kernel = make_kernel(NORMCHECK_F16, NORMCHECK_FUSED_RESIDUAL | NORMCHECK_NORMALIZES_ROUNDED_SUM);
  kernel.op = NORMCHECK_RMSNORM;
  ref::NormProblem p = problem_of(ref::Format::f64, {0.1, 1e6}, 1);
  p.gamma = {1.0 + 0x1p-20, 2};
  p.residual = {0x1p-20, 0};  // an f16 subnormal
  const ref::NormProblem adapted = adapt_problem(kernel, p);
  EXPECT_EQ(adapted.op, ref::Op::rmsnorm);
  EXPECT_EQ(adapted.x_format, ref::Format::f16);
  EXPECT_EQ(adapted.x[0], ref::round_to_format(ref::Format::f16, 0.1));
  EXPECT_TRUE(std::isinf(adapted.x[1]));  // beyond f16's range
  EXPECT_EQ(adapted.gamma[0], 1.0);
  EXPECT_EQ(adapted.residual[0], 0x1p-20);
  EXPECT_EQ(adapted.residual_sum, ref::ResidualSum::rounded);
  EXPECT_EQ(adapted.eps, p.eps);  // eps stays exact: the kernel is checked against it

  kernel.flags = 0;
  const ref::NormProblem unfused = adapt_problem(kernel, p);
  EXPECT_FALSE(unfused.has_residual());
  EXPECT_EQ(unfused.residual_sum, ref::ResidualSum::exact);
  EXPECT_TRUE(kernel_accepts(kernel, unfused));
}

}  // namespace
}  // namespace normcheck::harness
