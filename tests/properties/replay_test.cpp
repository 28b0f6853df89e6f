// Replay semantics: recorded verdicts must still hold, a recorded failure that passes is
// "fixed", and an explicit kernel must pass.
#include <gtest/gtest.h>

#include <filesystem>

#include "harness/replay.hpp"
#include "test_kernels.hpp"

namespace normcheck::harness {
namespace {

Case wide_case(std::string kernel, std::string expect) {
  Case c;
  c.problem.rows = 1;
  c.problem.n = 5;
  c.problem.eps = 0x1p-10;
  c.problem.x = {1.0, 2.0, 3.0, 4.0, 6.0};
  c.kernel = std::move(kernel);
  c.expect = std::move(expect);
  return c;
}

const std::vector<impls::KernelInfo>& kernels() {
  static const std::vector<impls::KernelInfo> all{testing::oracle_kernel(), testing::wrong_for_wide_rows()};
  return all;
}

TEST(Replay, RecordedFailureThatStillFailsHolds) {
  const auto results = replay_case("a.json", wide_case("test.wrong_wide", "fail"), kernels(), {}, {});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].observed, "fail");
  EXPECT_TRUE(results[0].as_expected());
  EXPECT_FALSE(results[0].fixed());
}

TEST(Replay, RecordedFailureThatPassesIsFixed) {
  const auto results = replay_case("a.json", wide_case("test.oracle", "fail"), kernels(), {}, {});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].fixed());
  EXPECT_FALSE(results[0].as_expected());
}

TEST(Replay, ExplicitKernelMustPass) {
  ReplayOptions options;
  options.kernel = "test.wrong_wide";
  const auto results = replay_case("a.json", wide_case("test.oracle", "fail"), kernels(), {}, options);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].expected, "pass");
  EXPECT_FALSE(results[0].as_expected());
}

TEST(Replay, CaseWithoutKernelRunsOnEveryCorrectKernelOfItsOp) {
  const auto results = replay_case("a.json", wide_case("", ""), kernels(), {}, {});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].as_expected());   // the oracle kernel passes
  EXPECT_FALSE(results[1].as_expected());  // the wrong kernel does not
}

TEST(Replay, UnknownKernelAndMissingFilesAreInputErrors) {
  EXPECT_THROW(replay_case("a.json", wide_case("no.such.kernel", ""), kernels(), {}, {}), InputError);
  EXPECT_THROW(collect_case_files({"/nonexistent/normcheck"}), InputError);
  const auto empty = std::filesystem::temp_directory_path() / "normcheck-replay-empty";
  std::filesystem::create_directories(empty);
  EXPECT_THROW(collect_case_files({empty}), InputError);
}

}  // namespace
}  // namespace normcheck::harness
