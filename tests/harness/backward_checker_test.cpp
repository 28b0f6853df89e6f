// The checking engine on backward kernels: an honest kernel passes its stream; a defect of
// dx, of the row reductions or of the call is found, minimized, saved as a backward case
// file and replayed; a crash is isolated and shrunk like a forward one.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/case.hpp"
#include "harness/checker.hpp"
#include "harness/replay.hpp"
#include "harness/wire_codec.hpp"
#include "properties/case_source.hpp"
#include "tests/support/test_backward_kernels.hpp"

namespace normcheck::harness {
namespace {

using testing::BackwardDefect;
using testing::TestBackwardKernel;

CheckOptions quick(const std::string& name, std::int64_t cases) {
  CheckOptions options;
  options.cases = cases;
  options.seed = 5;
  options.failures_dir = std::filesystem::temp_directory_path() / ("normcheck-backward-checker-test-" + name);
  std::filesystem::remove_all(options.failures_dir);
  return options;
}

CheckReport check_one(const TestBackwardKernel& kernel, const CheckOptions& options) {
  return run_backward_check({kernel.info}, BudgetTable{}, props::make_backward_case_source(), options);
}

TEST(BackwardChecker, AnHonestKernelPassesItsStream) {
  TestBackwardKernel honest("test.backward.honest", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32);
  const auto report = check_one(honest, quick("honest", 60));
  ASSERT_EQ(report.kernels.size(), 1u);
  const KernelSummary& k = report.kernels[0];
  EXPECT_TRUE(k.passed()) << (k.findings.empty() ? "" : k.findings[0].message);
  EXPECT_GT(k.cases, 40);
  EXPECT_GT(k.outputs, 1000);
  EXPECT_LT(k.max_score, 1.0);
}

// Each defect is found and its case shrinks to a few elements: dx defects to a row of two
// or three, a reduction that keeps only the last row to two rows.
TEST(BackwardChecker, DefectsAreFoundMinimizedSavedAndReplayed) {
  // A reduction that drops rows is a score finding, or a special one when the row it drops
  // holds a NaN: whichever case of the stream shows it first.
  struct Expect {
    BackwardDefect defect;
    std::vector<ViolationClass> classes;
    std::int64_t max_elements;
  };
  for (const Expect& e : {Expect{BackwardDefect::mean_g_twice, {ViolationClass::score}, 3},
                          Expect{BackwardDefect::last_row_only, {ViolationClass::score, ViolationClass::special}, 2},
                          Expect{BackwardDefect::writes_past_dx, {ViolationClass::memory}, 1}}) {
    TestBackwardKernel kernel("test.backward.defective", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32,
                              NORMCHECK_F32, e.defect);
    auto options = quick("defect", 200);
    options.max_findings = 1;
    const auto report = check_one(kernel, options);
    ASSERT_EQ(report.kernels.at(0).findings.size(), 1u) << static_cast<int>(e.defect);
    const Finding& f = report.kernels[0].findings[0];
    EXPECT_NE(std::find(e.classes.begin(), e.classes.end(), f.klass), e.classes.end())
        << f.message << "\n" << case_to_json(f.saved_case);
    EXPECT_LE(f.minimized.rows * f.minimized.n, e.max_elements) << f.signature << ": " << f.message;
    const Case saved = read_case_file(f.case_file);
    EXPECT_EQ(saved.direction, Direction::backward);
    EXPECT_EQ(saved.kernel, "test.backward.defective");
    EXPECT_EQ(saved.dy.size(), static_cast<std::size_t>(saved.problem.rows * saved.problem.n));
    EXPECT_EQ(saved.problem.rows, f.minimized.rows);
    // The saved case still fails on the kernel, and passes on the honest one.
    const auto replayed = replay_case(f.case_file, saved, {}, {kernel.info}, BudgetTable{}, {});
    ASSERT_EQ(replayed.size(), 1u);
    EXPECT_EQ(replayed[0].observed, Verdict::fail) << replayed[0].detail;
    TestBackwardKernel honest("test.backward.honest", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32);
    ReplayOptions on_honest;
    on_honest.kernel = "test.backward.honest";
    const auto fixed = replay_case(f.case_file, saved, {}, {honest.info}, BudgetTable{}, on_honest);
    ASSERT_EQ(fixed.size(), 1u);
    EXPECT_EQ(fixed[0].observed, Verdict::pass) << fixed[0].detail;
  }
}

TEST(BackwardChecker, ACrashIsIsolatedAndShrunk) {
  TestBackwardKernel kernel("test.backward.crash", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32,
                            BackwardDefect::crashes_on_wide_rows);
  auto options = quick("crash", 100);
  const auto report = check_one(kernel, options);
  const KernelSummary& k = report.kernels.at(0);
  ASSERT_EQ(k.findings.size(), 1u);
  EXPECT_EQ(k.findings[0].klass, ViolationClass::crash);
  EXPECT_EQ(k.findings[0].minimized.rows * k.findings[0].minimized.n, 3) << "the crash needs n >= 3 and nothing else";
  EXPECT_GT(k.cases, 0) << "cases with n < 3 were checked";
  EXPECT_GE(k.forks, 2) << "a new worker after the crash";
}

TEST(BackwardChecker, AForwardCaseIsIncompatibleWithABackwardKernel) {
  TestBackwardKernel honest("test.backward.honest", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32);
  Case forward;
  forward.problem.n = 2;
  forward.problem.x = {1.0, 2.0};
  ReplayOptions named;
  named.kernel = "test.backward.honest";
  const auto results = replay_case("f.json", forward, {}, {honest.info}, BudgetTable{}, named);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].incompatible);
  EXPECT_NE(results[0].detail.find("a forward case"), std::string::npos) << results[0].detail;
}

TEST(BackwardWire, ProblemsRoundTrip) {
  ref::BackwardProblem p;
  p.op = ref::Op::rmsnorm;
  p.x_format = ref::Format::bf16;
  p.param_format = ref::Format::f32;
  p.dy_format = ref::Format::f16;
  p.rows = 2;
  p.n = 2;
  p.eps = 0x1p-20;
  p.x = {1.0, -2.0, 0.5, 3.0};
  p.dy = {0.25, 1.0, -1.0, 0.0};
  p.gamma = {2.0, 0.5};
  const auto q = wire::decode_backward_problem(wire::encode_backward_problem(p));
  EXPECT_EQ(q.op, p.op);
  EXPECT_EQ(q.x_format, p.x_format);
  EXPECT_EQ(q.param_format, p.param_format);
  EXPECT_EQ(q.dy_format, p.dy_format);
  EXPECT_EQ(q.rows, p.rows);
  EXPECT_EQ(q.n, p.n);
  EXPECT_EQ(q.eps, p.eps);
  EXPECT_EQ(q.x, p.x);
  EXPECT_EQ(q.dy, p.dy);
  EXPECT_EQ(q.gamma, p.gamma);
  const std::string bytes = wire::encode_backward_problem(p);
  EXPECT_THROW(wire::decode_backward_problem(std::string_view(bytes).substr(0, bytes.size() - 1)), std::runtime_error);
}

}  // namespace
}  // namespace normcheck::harness
