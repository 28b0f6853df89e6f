// The differential target under `normcheck fuzz` (NORMCHECK_FINDING_DIR set): a finding
// is recorded in the finding store and the target returns, so fuzzing goes on; per
// signature the smallest failing input is the case on disk.
#include <cstdlib>
#include <cstring>
#include <map>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "fuzz/differential.hpp"
#include "fuzz/finding.hpp"
#include "fuzz/fuzz_input.hpp"
#include "fuzz/target_config.hpp"
#include "harness/evaluate.hpp"
#include "harness/finding_store.hpp"
#include "tests/fuzz/smallest_failures.hpp"

namespace normcheck::fuzz {
namespace {

namespace fs = std::filesystem;

// A raw input of rows x n f32 values drawn around an offset (so most rows have a spread).
std::vector<std::uint8_t> random_input(std::mt19937& rng, std::int64_t rows, std::int64_t n) {
  FuzzInput input;
  input.x_storage = ref::Format::f32;
  input.rows = rows;
  input.n = n;
  std::uniform_real_distribution<float> value(-4.0f, 4.0f);
  for (std::int64_t i = 0; i < rows * n; ++i) {
    const float v = value(rng);
    std::uint32_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    input.x.push_back(bits);
  }
  return encode_input(input);
}

TEST(DifferentialFinding, IsRecordedAndFuzzingGoesOn) {
  // unbiased_variance divides by n - 1: nearly every row of n >= 2 is a finding.
  const fs::path dir = fs::temp_directory_path() / ("normcheck_differential_finding_test_" + std::to_string(getpid()));
  fs::remove_all(dir);
  setenv("NORMCHECK_KERNEL", "mutant.layernorm.unbiased_variance", 1);
  setenv("NORMCHECK_FINDING_DIR", dir.c_str(), 1);
  configure_target(ref::Op::layernorm);
  const TargetConfig& config = target_config();

  std::mt19937 rng(7);
  std::vector<std::vector<std::uint8_t>> inputs;
  for (int i = 0; i < 60; ++i) inputs.push_back(random_input(rng, 1 + i % 3, 2 + (i * 7) % 30));
  testing_support::SmallestFailures smallest;
  const int findings = testing_support::feed_inputs(
      inputs, check_differential_input,
      [&](const std::vector<std::uint8_t>& bytes) {
        // The same verdict the target reaches, computed here independently.
        const auto decoded = decode_input(bytes.data(), bytes.size(), config.shape);
        EXPECT_TRUE(decoded);
        const auto problem = to_problem(*decoded, config.shape);
        harness::EvaluateOptions options;
        options.check_contracts = false;
        return testing_support::Judged{harness::evaluate_case(config.kernel, problem, config.budget, options),
                                       problem.value_count()};
      },
      config.kernel.kernel->name, ref::Op::layernorm, smallest);
  ASSERT_GE(findings, 30) << "the mutant should fail on most of these inputs";
  ASSERT_TRUE(smallest.has("mutant.layernorm.unbiased_variance-layernorm-score"));
  for (const harness::Case& kept : smallest.expect_kept(dir, "mutant.layernorm.unbiased_variance")) {
    // The kept case is a finding of its class, not merely a case of the right size.
    const auto again = harness::evaluate_case(config.kernel, kept.problem, config.budget, {});
    EXPECT_FALSE(again.passed()) << kept.note;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace normcheck::fuzz
