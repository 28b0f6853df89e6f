// The oracle's first (double-double) tier: outputs on or near a midpoint of the output format
// must be left to the next tiers (and still come out right); everything it certifies matches
// the exact path; the FMA and the portable (Dekker) products agree bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "reference/double_tier.hpp"
#include "reference/exact_stats.hpp"
#include "reference/oracle.hpp"
#include "tests/reference/bit_compare.hpp"
#include "tests/reference/oracle_check.hpp"
#include "tests/reference/test_values.hpp"

namespace normcheck::ref {
namespace {

constexpr Format kTierFormats[] = {Format::f16, Format::bf16, Format::f32};

// The first tier's verdicts on row r of a problem, from the same statistics the oracle uses.
struct TierRun {
  bool applies = false;  // the row qualifies (int64 statistics, |D| < 2^53, V > 0)
  std::vector<double> y, y_exact;
  std::vector<std::uint8_t> undecided;
  std::size_t undecided_count = 0;
};

TierRun run_tier(const NormProblem& p, std::int64_t r, detail::ProductKernel kernel) {
  const auto n = static_cast<std::size_t>(p.n);
  detail::RowInput row;
  row.first = p.x.data() + static_cast<std::size_t>(r) * n;
  row.n = p.n;
  row.eps = p.eps;
  row.op = p.op;
  detail::ExactRowStats stats;
  detail::compute_exact_stats(row, stats);
  TierRun run;
  run.applies = stats.double_tier_row;
  if (!run.applies) return run;
  run.y.resize(n);
  run.y_exact.resize(n);
  run.undecided.resize(n);
  const detail::DoubleTierRow tier_row{stats.scaled.data(), p.n, stats.sum_small,
                                       p.gamma.empty() ? nullptr : p.gamma.data(),
                                       p.beta.empty() ? nullptr : p.beta.data(), stats.rsqrt_hi, stats.rsqrt_lo};
  run.undecided_count = detail::double_tier_row(traits(p.y_format), tier_row, run.y.data(), run.y_exact.data(),
                                                run.undecided.data(), kernel);
  return run;
}

// Rows of +-1 (var = 1, eps = 0) normalize to exactly +-1, so y_i = gamma_i * (+-1) + beta_i
// is any sum of two doubles: gamma_i = +-m and beta_i = delta put y_i at distance delta from m.
NormProblem unit_rows(Format y_format, const std::vector<double>& targets, const std::vector<double>& offsets) {
  NormProblem p;
  p.op = Op::layernorm;
  p.x_format = Format::f32;
  p.param_format = Format::f64;
  p.y_format = y_format;
  p.rows = 1;
  p.n = static_cast<std::int64_t>(targets.size());
  p.eps = 0.0;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const double sign = (i % 2 == 0) ? -1.0 : 1.0;  // an even n of alternating signs: mean 0
    p.x.push_back(sign);
    p.gamma.push_back(sign * targets[i]);
    p.beta.push_back(offsets[i]);
  }
  return p;
}

TEST(DoubleTier, MidpointsAndNearMidpointsFallThroughAndStayCorrect) {
  long near_cases = 0;
  long far_cases = 0;
  for (Format format : kTierFormats) {
    const FormatTraits& t = traits(format);
    std::vector<double> targets;
    std::vector<double> offsets;
    std::vector<bool> must_fall_through;
    for (double candidate : {1.0, 1.5, 3.0, 0.75, next_up(format, 1.0), 1024.0, -2.0, -1.25}) {
      const double half = std::ldexp(ulp(format, candidate), -1);
      // Away from zero the gap is 2*half; towards zero it halves below a binade start.
      const double away = candidate > 0 ? half : -half;
      const double toward = std::fabs(candidate) == std::ldexp(1.0, std::ilogb(candidate)) ? -away / 2 : -away;
      for (double midpoint : {candidate + away, candidate + toward}) {
        EXPECT_FALSE(is_representable(format, midpoint)) << testing::hex(midpoint);
        // |offset| <= 2^-56 |m| is below half an f64 ulp of m (m has at most 25 bits), so the
        // tier's RN_f64 approximation is m itself, at exactly half a gap from its candidate:
        // Ziv's test (strict, with err > 0) cannot pass, whichever way the offset points.
        for (int shift : {0, 56, 58, 60, 70}) {
          for (double side : {1.0, -1.0}) {
            targets.push_back(midpoint);
            offsets.push_back(shift == 0 ? 0.0 : side * std::ldexp(std::fabs(midpoint), -shift));
            must_fall_through.push_back(true);
            if (shift == 0) break;
          }
        }
      }
      // Controls: on and 2^-30 |y| from the candidate itself, far inside even the smaller gap
      // that the tier uses on both sides of a binade start, so the tier must decide them.
      for (double offset : {0.0, std::ldexp(std::fabs(candidate), -30)}) {
        targets.push_back(candidate);
        offsets.push_back(offset);
        must_fall_through.push_back(false);
      }
    }
    if (targets.size() % 2 == 1) {  // keep n even so the row's mean stays 0
      targets.push_back(1.0);
      offsets.push_back(std::ldexp(1.0, -30));
      must_fall_through.push_back(false);
    }
    const NormProblem p = unit_rows(format, targets, offsets);
    for (auto kernel : {detail::ProductKernel::portable, detail::ProductKernel::automatic}) {
      const TierRun run = run_tier(p, 0, kernel);
      ASSERT_TRUE(run.applies);
      for (std::size_t i = 0; i < targets.size(); ++i) {
        EXPECT_EQ(run.undecided[i] != 0, must_fall_through[i])
            << t.name << " y = " << testing::hex(targets[i]) << " + " << testing::hex(offsets[i]);
        (must_fall_through[i] ? near_cases : far_cases) += 1;
      }
    }
    // The whole oracle (tier 1, then the long double tier, then the exact path) is right.
    EXPECT_EQ(testing::compare_with_slow(p), 0);
    const OracleResult fast = compute_oracle(p);
    const OracleResult exact = compute_oracle(p, OracleOptions{.force_exact = true});
    EXPECT_EQ(testing::first_mismatch(fast.y, exact.y), -1) << t.name;
  }
  std::printf("near-midpoint outputs left undecided: %ld, far outputs certified: %ld\n", near_cases, far_cases);
}

TEST(DoubleTier, CertifiedOutputsMatchTheExactPath) {
  std::mt19937_64 rng(77);
  long certified = 0;
  long undecided = 0;
  long mismatches = 0;
  while (certified < 50'000) {
    for (testing::Regime regime : testing::kAllRegimes) {
      const Format y_format = kTierFormats[rng() % 3];
      const Format param_format = (rng() % 4 == 0) ? Format::f64 : kTierFormats[rng() % 3];
      NormProblem p = testing::random_problem(rng, kTierFormats[rng() % 3], param_format, y_format, 1,
                                              static_cast<std::int64_t>(2 + rng() % 200), regime);
      p.residual.clear();
      const TierRun run = run_tier(p, 0, detail::ProductKernel::automatic);
      if (!run.applies) continue;
      const OracleResult exact = compute_oracle(p, OracleOptions{.force_exact = true});
      undecided += static_cast<long>(run.undecided_count);
      for (std::size_t i = 0; i < run.y.size(); ++i) {
        if (run.undecided[i]) continue;
        ++certified;
        // y bit for bit; y_exact within 5/8 f64 ulp of y, so within one ulp of RN_f64(y).
        const double w = exact.y_exact[i];
        const double f64_ulp = std::ldexp(1.0, std::ilogb(w) - 52);
        const bool ok = testing::same_bits(run.y[i], exact.y[i]) && std::fabs(run.y_exact[i] - w) <= f64_ulp &&
                        testing::same_bits(round_to_format(y_format, run.y_exact[i]), run.y[i]);
        if (!ok && mismatches++ < 10) {
          ADD_FAILURE() << "index " << i << " tier y " << testing::hex(run.y[i]) << " y_exact "
                        << testing::hex(run.y_exact[i]) << " exact y " << testing::hex(exact.y[i]) << " y_exact "
                        << testing::hex(w) << "\n" << testing::describe(p);
        }
      }
    }
  }
  std::printf("certified %ld outputs (%ld left to the next tiers), %ld mismatches\n", certified, undecided,
              mismatches);
  EXPECT_EQ(mismatches, 0);
}

TEST(DoubleTier, FmaAndPortableProductsAgreeBitForBit) {
  if (!detail::cpu_has_fma()) GTEST_SKIP() << "no FMA on this CPU: only the portable kernel runs";
  std::mt19937_64 rng(5);
  long compared = 0;
  long mismatches = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const testing::Regime regime = testing::kAllRegimes[static_cast<std::size_t>(trial) % 6];
    const NormProblem p = testing::random_problem(rng, kTierFormats[rng() % 3], Format::f64, kTierFormats[rng() % 3],
                                                  1, static_cast<std::int64_t>(2 + rng() % 100), regime);
    const TierRun fma = run_tier(p, 0, detail::ProductKernel::fma);
    const TierRun portable = run_tier(p, 0, detail::ProductKernel::portable);
    if (!fma.applies) continue;
    for (std::size_t i = 0; i < fma.y.size(); ++i) {
      ++compared;
      const bool same = fma.undecided[i] == portable.undecided[i] &&
                        (fma.undecided[i] || (testing::same_bits(fma.y[i], portable.y[i]) &&
                                              testing::same_bits(fma.y_exact[i], portable.y_exact[i])));
      if (!same && mismatches++ < 10) ADD_FAILURE() << "index " << i << "\n" << testing::describe(p);
    }
  }
  std::printf("compared %ld outputs of the two product kernels\n", compared);
  EXPECT_EQ(mismatches, 0);
  EXPECT_GT(compared, 1000);
}

}  // namespace
}  // namespace normcheck::ref
