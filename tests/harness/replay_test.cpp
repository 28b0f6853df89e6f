// Replay semantics: recorded verdicts must still hold, a recorded failure that passes is
// "fixed", and an explicit kernel must pass.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>

#include "harness/replay.hpp"
#include "tests/support/test_kernels.hpp"

namespace normcheck::harness {
namespace {

Case wide_case(std::string kernel, std::optional<Verdict> expect) {
  Case c;
  c.problem.rows = 1;
  c.problem.n = 5;
  c.problem.eps = 0x1p-10;
  c.problem.x = {1.0, 2.0, 3.0, 4.0, 6.0};
  c.kernel = std::move(kernel);
  c.expect = expect;
  return c;
}

const std::vector<impls::KernelInfo>& kernels() {
  static const std::vector<impls::KernelInfo> all{testing::oracle_kernel(), testing::wrong_for_wide_rows()};
  return all;
}

// The names case files and the replay output spell (harness/verdict.hpp).
TEST(Verdict, NamesAreStableAndParseBack) {
  EXPECT_EQ(verdict_name(Verdict::pass), "pass");
  EXPECT_EQ(verdict_name(Verdict::fail), "fail");
  EXPECT_EQ(verdict_name(Verdict::skipped), "skipped");
  for (const Verdict verdict : kVerdicts) EXPECT_EQ(parse_verdict(verdict_name(verdict)), verdict);
  EXPECT_EQ(parse_verdict(""), std::nullopt);
  EXPECT_EQ(parse_verdict("Pass"), std::nullopt);
  EXPECT_EQ(parse_verdict("maybe"), std::nullopt);
}

TEST(Replay, RecordedFailureThatStillFailsHolds) {
  const auto results = replay_case("a.json", wide_case("test.wrong_wide", Verdict::fail), kernels(), {}, {}, {});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].observed, Verdict::fail);
  EXPECT_TRUE(results[0].as_expected());
  EXPECT_FALSE(results[0].fixed());
}

TEST(Replay, RecordedFailureThatPassesIsFixed) {
  const auto results = replay_case("a.json", wide_case("test.oracle", Verdict::fail), kernels(), {}, {}, {});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].fixed());
  EXPECT_FALSE(results[0].as_expected());
}

TEST(Replay, ExplicitKernelMustPass) {
  ReplayOptions options;
  options.kernel = "test.wrong_wide";
  const auto results = replay_case("a.json", wide_case("test.oracle", Verdict::fail), kernels(), {}, {}, options);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].expected, Verdict::pass);
  EXPECT_FALSE(results[0].as_expected());
}

TEST(Replay, CaseWithoutKernelRunsOnEveryCorrectKernelOfItsOp) {
  const auto results = replay_case("a.json", wide_case("", std::nullopt), kernels(), {}, {}, {});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].as_expected());   // the oracle kernel passes
  EXPECT_FALSE(results[1].as_expected());  // the wrong kernel does not
}

// Every way a case can differ from what a kernel computes: never adapted, always skipped.
TEST(Replay, NamedKernelThatDoesNotComputeTheCaseIsSkippedNotAdapted) {
  ReplayOptions options;
  options.kernel = "test.oracle";  // layernorm f32/f32/f32, not fused
  Case other_op = wide_case("", std::nullopt);
  other_op.problem.op = ref::Op::rmsnorm;
  Case other_dtype = wide_case("", std::nullopt);
  other_dtype.problem.x_format = ref::Format::f16;
  other_dtype.problem.y_format = ref::Format::f16;
  Case with_residual = wide_case("", std::nullopt);
  with_residual.problem.residual = {0.5, 0.5, 0.5, 0.5, 0.5};
  for (const Case& c : {other_op, other_dtype, with_residual}) {
    const auto results = replay_case("a.json", c, kernels(), {}, {}, options);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].observed, Verdict::skipped);
    EXPECT_TRUE(results[0].incompatible);
    EXPECT_NE(results[0].detail.find("case is "), std::string::npos) << results[0].detail;
    EXPECT_NE(results[0].detail.find("kernel takes layernorm f32/f32/f32"), std::string::npos) << results[0].detail;
  }
  EXPECT_NE(replay_case("a.json", other_op, kernels(), {}, {}, options)[0].detail.find("rmsnorm"), std::string::npos);
}

TEST(Replay, RecordedFailureThatIsNowSkippedIsNotAsRecorded) {
  Case c = wide_case("test.wrong_wide", Verdict::fail);
  c.problem.op = ref::Op::rmsnorm;  // the recorded kernel no longer computes it
  const auto results = replay_case("a.json", c, kernels(), {}, {}, {});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].observed, Verdict::skipped);
  EXPECT_FALSE(results[0].as_expected());

  ReplayResult unsupported;  // a recorded pass that is skipped has nothing to contradict
  unsupported.expected = Verdict::pass;
  unsupported.observed = Verdict::skipped;
  EXPECT_TRUE(unsupported.as_expected());
}

TEST(Replay, CaseWithoutKernelRunsOnlyOnCorrectKernelsThatComputeItExactly) {
  impls::KernelInfo mutant = testing::oracle_kernel();
  mutant.mutant = true;
  impls::KernelInfo baseline = testing::oracle_kernel();
  baseline.origin = impls::KernelOrigin::onednn;
  const std::vector<impls::KernelInfo> with_extras{testing::oracle_kernel(), mutant, baseline};
  EXPECT_EQ(replay_case("a.json", wide_case("", std::nullopt), with_extras, {}, {}, {}).size(), 1u);

  Case f16 = wide_case("", std::nullopt);
  f16.problem.x_format = ref::Format::f16;
  EXPECT_TRUE(replay_case("a.json", f16, with_extras, {}, {}, {}).empty());
  Case with_residual = wide_case("", std::nullopt);
  with_residual.problem.residual = {0.5, 0.5, 0.5, 0.5, 0.5};
  EXPECT_TRUE(replay_case("a.json", with_residual, with_extras, {}, {}, {}).empty());
}

TEST(Replay, UnknownKernelAndMissingFilesAreInputErrors) {
  EXPECT_THROW(replay_case("a.json", wide_case("no.such.kernel", std::nullopt), kernels(), {}, {}, {}), InputError);
  EXPECT_THROW(collect_case_files({"/nonexistent/normcheck"}), InputError);
  const auto empty = std::filesystem::temp_directory_path() / "normcheck-replay-empty";
  std::filesystem::create_directories(empty);
  EXPECT_THROW(collect_case_files({empty}), InputError);
}

}  // namespace
}  // namespace normcheck::harness
