// dx's double tier in both vector kernels (two SSE2 lanes, four AVX2 lanes where the CPU has
// them) against the exact path, row by row and bit for bit: the oracle itself only ever runs
// the kernel the CPU picks, so the other one is checked here. Row lengths 1 to 40 cover every
// tail of both lane counts.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "reference/backward_dx.hpp"
#include "tests/reference/backward_test_values.hpp"
#include "tests/reference/bit_compare.hpp"

namespace normcheck::ref {
namespace {

using testing::Gradient;
using testing::Regime;

constexpr Format kTierFormats[] = {Format::f16, Format::bf16, Format::f32};

bool finite(const double* values, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    if (!std::isfinite(values[i])) return false;
  }
  return true;
}

TEST(BackwardDxTier, BothLaneKernelsAgreeWithTheExactPath) {
  std::mt19937_64 rng(23);
#if defined(__SANITIZE_ADDRESS__)
  const int problems = 30;
#else
  const int problems = 300;
#endif
  std::int64_t outputs = 0;
  // On first-tier rows of the unit regime with random gradients: outputs, and those left to the
  // exact path.
  std::int64_t plain_outputs = 0, portable_exact = 0, automatic_exact = 0;
  int failures = 0;
  detail::DxScratch scratch;
  detail::ExactRowStats stats;
  for (int k = 0; k < problems && failures < 5; ++k) {
    const Format x_format = kTierFormats[k % 3];
    // Every other problem in the unit regime, where the tier must carry the load.
    const Regime regime =
        k % 2 ? testing::kAllRegimes[rng() % std::size(testing::kAllRegimes)] : Regime::unit;
    const Gradient gradient =
        testing::kAllGradients[static_cast<std::size_t>(k) % std::size(testing::kAllGradients)];
    // One draw per statement: the order of evaluation of arguments differs between compilers.
    const Format param_format = kTierFormats[rng() % 3];
    const Format dy_format = kTierFormats[rng() % 3];
    const auto n = static_cast<std::int64_t>(1 + rng() % 40);
    const BackwardProblem p = testing::random_backward_problem(rng, x_format, param_format,
                                                               dy_format, 3, n, regime, gradient);
    const auto count = static_cast<std::size_t>(n);
    const bool plain_problem = regime == Regime::unit && gradient == Gradient::random;
    const double* gamma = p.gamma.empty() ? nullptr : p.gamma.data();
    if (gamma && !finite(gamma, count)) continue;
    for (std::int64_t r = 0; r < p.rows; ++r) {
      const double* x = p.x.data() + r * n;
      const double* dy = p.dy.data() + r * n;
      if (!finite(x, count) || !finite(dy, count)) continue;
      const detail::RowInput input{x, nullptr, n, p.eps, p.op, traits(x_format).precision};
      detail::compute_exact_stats(input, stats);
      if (stats.denom_square == 0) continue;
      // (A tiny eps can push X = x 2^q past the first tier's 2^53 whatever the regime.)
      const bool plain = plain_problem && stats.double_tier_row;
      const detail::BackwardRow row{input, &stats, dy, gamma};
      std::vector<double> want(count), want_exact(count), got(count), got_exact(count);
      detail::backward_dx_row(row, x_format, true, scratch, want.data(), want_exact.data());
      outputs += n;
      if (plain) plain_outputs += n;
      for (const auto lanes : {detail::LaneKernel::portable, detail::LaneKernel::automatic}) {
        const std::int64_t exact = detail::backward_dx_row(row, x_format, false, scratch,
                                                           got.data(), got_exact.data(), lanes);
        if (plain)
          (lanes == detail::LaneKernel::portable ? portable_exact : automatic_exact) += exact;
        const long i = testing::first_mismatch(got, want);
        if (i >= 0) {
          ADD_FAILURE() << (lanes == detail::LaneKernel::portable ? "portable" : "automatic")
                        << " dx[" << i << "] of row " << r << ": "
                        << testing::hex(got[static_cast<std::size_t>(i)]) << " expected "
                        << testing::hex(want[static_cast<std::size_t>(i)]) << "\n"
                        << testing::describe(p);
          ++failures;
        }
      }
    }
  }
  std::printf(
      "%ld dx outputs compared; of %ld plain ones, %ld (portable lanes) and %ld (automatic) "
      "exact\n",
      static_cast<long>(outputs), static_cast<long>(plain_outputs),
      static_cast<long>(portable_exact), static_cast<long>(automatic_exact));
  EXPECT_EQ(failures, 0);
  // Not vacuous: on plain rows either kernel decides nearly every output.
  EXPECT_GT(plain_outputs, 3 * problems);
  EXPECT_LE(portable_exact * 10, plain_outputs);
  EXPECT_LE(automatic_exact * 10, plain_outputs);
}

}  // namespace
}  // namespace normcheck::ref
