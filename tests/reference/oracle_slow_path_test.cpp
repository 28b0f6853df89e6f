// The oracle against the independent slow path (mpq + MPFR 2400 bits) on random rows in
// every regime, all four x formats, both ops, mixed parameter and output formats.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <random>

#include "tests/reference/oracle_check.hpp"
#include "tests/reference/test_values.hpp"

namespace normcheck::ref {
namespace {

constexpr Format kFormats[] = {Format::f16, Format::bf16, Format::f32, Format::f64};

class SlowPath : public ::testing::TestWithParam<Format> {};

TEST_P(SlowPath, RandomRowsInEveryRegime) {
  const Format x_format = GetParam();
  std::mt19937_64 rng(1234 + static_cast<unsigned>(x_format));
  int failures = 0;
  int problems = 0;
  for (testing::Regime regime : testing::kAllRegimes) {
    for (int k = 0; k < 40 && failures < 5; ++k) {
      const Format y_format = kFormats[rng() % 4];
      const Format param_format = kFormats[rng() % 4];
      const auto n = static_cast<std::int64_t>(1 + rng() % 12);
      const auto p = testing::random_problem(rng, x_format, param_format, y_format, 2, n, regime);
      failures += testing::compare_with_slow(p);
      ++problems;
    }
  }
  std::printf("%s: %d problems, %d mismatching fields\n", std::string(format_name(x_format)).c_str(), problems,
              failures);
  EXPECT_EQ(failures, 0);
}

TEST_P(SlowPath, RandomRowsForcedExact) {
  const Format x_format = GetParam();
  std::mt19937_64 rng(99 + static_cast<unsigned>(x_format));
  int failures = 0;
  for (testing::Regime regime : testing::kAllRegimes) {
    for (int k = 0; k < 10 && failures < 5; ++k) {
      const auto p = testing::random_problem(rng, x_format, kFormats[rng() % 4], kFormats[rng() % 4], 1, 7, regime);
      failures += testing::compare_with_slow(p, OracleOptions{.force_exact = true});
    }
  }
  EXPECT_EQ(failures, 0);
}

INSTANTIATE_TEST_SUITE_P(Formats, SlowPath, ::testing::ValuesIn(kFormats),
                         [](const auto& test_info) { return std::string(format_name(test_info.param)); });

// Any bit patterns at all (NaN, inf, subnormals, huge) in x, gamma and beta.
RC_GTEST_PROP(SlowPath, AnyBitPatterns, (std::uint64_t seed)) {
  std::mt19937_64 rng(seed);
  const Format x_format = kFormats[rng() % 4];
  NormProblem p = testing::random_problem(rng, x_format, kFormats[rng() % 4], kFormats[rng() % 4], 1,
                                          static_cast<std::int64_t>(1 + rng() % 6), testing::Regime::unit);
  for (auto& v : p.x) {
    if (rng() % 4 == 0) v = testing::random_bits(rng, x_format);
  }
  const bool special_row = std::any_of(p.x.begin(), p.x.end(), [](double v) { return !std::isfinite(v); });
  RC_CLASSIFY(special_row, "non-finite x");
  for (auto& v : p.gamma) {
    if (rng() % 6 == 0) v = testing::random_bits(rng, p.param_format);
  }
  for (auto& v : p.beta) {
    if (rng() % 6 == 0) v = testing::random_bits(rng, p.param_format);
  }
  RC_ASSERT(testing::compare_with_slow(p) == 0);
}

}  // namespace
}  // namespace normcheck::ref
