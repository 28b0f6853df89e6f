// The backward target's body under `normcheck fuzz` (NORMCHECK_FINDING_DIR set): a finding is
// recorded as a backward case file in the finding store and the target returns; per
// signature the smallest failing input is the case kept; a correct kernel gives none.
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "fuzz/backward_input.hpp"
#include "fuzz/differential.hpp"
#include "fuzz/finding.hpp"
#include "fuzz/target_config.hpp"
#include "harness/backward_evaluate.hpp"
#include "harness/finding_store.hpp"
#include "harness/input_trace.hpp"
#include "tests/fuzz/smallest_failures.hpp"

namespace normcheck::fuzz {
namespace {

namespace fs = std::filesystem;

// A raw input of rows x n f32 values around an offset, and dy, under a random dy header.
std::vector<std::uint8_t> random_input(std::mt19937& rng, std::int64_t rows, std::int64_t n) {
  BackwardFuzzInput input;
  input.dy = decode_dy_header(static_cast<std::uint8_t>(rng()), static_cast<std::uint8_t>(rng() % 5));
  input.carrier.rows = rows;
  input.carrier.n = n;
  std::uniform_real_distribution<float> value(-4.0f, 4.0f);
  for (std::int64_t i = 0; i < rows * n; ++i) {
    input.carrier.x.push_back(ref::to_bits(ref::Format::f32, 3.0f + value(rng)));
    input.carrier.residual.push_back(ref::to_bits(ref::Format::f32, value(rng)));
  }
  input.carrier.flags = input_flags(input.carrier);
  return encode_backward_input(input);
}

// One finding directory per process: the target's finding store and input trace are made
// once (at the first finding, the first input), as in a fuzzing process, so both tests of a
// run share it (ctest runs each in its own process).
const fs::path& finding_dir() {
  static const fs::path dir = [] {
    const fs::path made =
        fs::temp_directory_path() / ("normcheck_backward_differential_test_" + std::to_string(getpid()));
    fs::remove_all(made);
    fs::create_directories(made);  // as `normcheck fuzz` makes it before the target starts
    return made;
  }();
  return dir;
}

class RemoveFindingDir : public testing::Environment {
 public:
  void TearDown() override { fs::remove_all(finding_dir()); }
};
const auto* const kRemoveFindingDir = testing::AddGlobalTestEnvironment(new RemoveFindingDir);

TEST(BackwardDifferential, AFindingIsABackwardCaseAndFuzzingGoesOn) {
  const fs::path& dir = finding_dir();
  setenv("NORMCHECK_KERNEL", "mutant.layernorm_backward.mean_g_twice", 1);
  setenv("NORMCHECK_FINDING_DIR", dir.c_str(), 1);
  configure_backward_target();
  const TargetConfig& config = target_config();
  ASSERT_TRUE(config.backward_kernel);

  std::mt19937 rng(7);
  std::vector<std::vector<std::uint8_t>> inputs;
  for (int i = 0; i < 60; ++i) inputs.push_back(random_input(rng, 1 + i % 40, 2 + (i * 7) % 9));
  testing_support::SmallestFailures smallest;
  const int findings = testing_support::feed_inputs(
      inputs, check_backward_input,
      [&](const std::vector<std::uint8_t>& bytes) {
        // The verdict the target reaches, computed here independently.
        const auto input = decode_backward_input(bytes.data(), bytes.size(), config.shape);
        EXPECT_TRUE(input);
        const auto problem = to_backward_problem(*input, config.shape);
        return testing_support::Judged{
            harness::evaluate_backward_case(*config.backward_kernel, problem, config.budget),
            static_cast<std::int64_t>(problem.x.size() + problem.dy.size() + problem.gamma.size())};
      },
      config.kernel_name(), ref::Op::layernorm, smallest);
  ASSERT_GE(findings, 20) << "the mutant should fail on many of these inputs";
  ASSERT_TRUE(smallest.has("mutant.layernorm_backward.mean_g_twice-layernorm-score"));
  for (const harness::Case& kept : smallest.expect_kept(dir, "mutant.layernorm_backward.mean_g_twice")) {
    EXPECT_EQ(kept.direction, harness::Direction::backward);
    const auto again = harness::evaluate_backward_case(*config.backward_kernel, backward_problem(kept), config.budget);
    EXPECT_FALSE(again.passed()) << kept.note;
  }
}

TEST(BackwardDifferential, ACorrectKernelGivesNoFindingAndItsInputsAreChecked) {
  const fs::path& dir = finding_dir();
  setenv("NORMCHECK_KERNEL", "layernorm_backward.f32", 1);
  setenv("NORMCHECK_FINDING_DIR", dir.c_str(), 1);
  configure_backward_target();
  std::mt19937 rng(8);
  for (int i = 0; i < 200; ++i) {
    const auto bytes = random_input(rng, 1 + i % 70, 1 + (i * 5) % 11);
    EXPECT_EQ(check_backward_input(bytes.data(), bytes.size()), 0);
  }
  for (const auto& stored : harness::read_finding_store(dir)) {
    EXPECT_NE(stored.signature.rfind("layernorm_backward.f32-", 0), 0u) << stored.signature;
  }
  EXPECT_TRUE(harness::any_input_checked(dir));
}

}  // namespace
}  // namespace normcheck::fuzz
