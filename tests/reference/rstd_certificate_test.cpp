// The rstd certificate (docs/oracle.md, "mean and rstd"): from n RN_128(1/sqrt(V)) it decides
// RN_f64(n / sqrt(V)) for almost every row, and where it does, the value scaled by 2^q is the
// rstd the exact search finds (force_exact), bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "reference/exact_stats.hpp"
#include "reference/oracle.hpp"
#include "tests/reference/bit_compare.hpp"
#include "tests/reference/oracle_check.hpp"
#include "tests/reference/test_values.hpp"

namespace normcheck::ref {
namespace {

TEST(RstdCertificate, DecidesTypicalRowsAndAgreesWithTheSearch) {
  std::mt19937_64 rng(99);
  long decided = 0;
  long rows = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    const testing::Regime regime = testing::kAllRegimes[static_cast<std::size_t>(trial) % 9];
    const Format format = (trial % 2 == 0) ? Format::f32 : Format::f16;
    NormProblem p = testing::random_problem(rng, format, Format::f32, format, 1,
                                            static_cast<std::int64_t>(2 + rng() % 200), regime);
    p.residual.clear();
    bool finite = true;
    for (double v : p.x) finite &= std::isfinite(v);
    if (!finite) continue;
    detail::RowInput row;
    row.first = p.x.data();
    row.n = p.n;
    row.eps = p.eps;
    row.op = p.op;
    row.significand_bits = traits(format).precision;
    detail::ExactRowStats stats;
    detail::compute_exact_stats(row, stats);
    if (stats.denom_square == 0) continue;
    ++rows;
    if (std::isnan(stats.rstd_unscaled)) continue;
    const double rstd = std::ldexp(stats.rstd_unscaled, stats.q);
    if (!(std::fabs(stats.rstd_unscaled) >= 0x1p-1022) || !(std::fabs(rstd) >= 0x1p-1022) ||
        std::isinf(rstd))
      continue;
    ++decided;
    const OracleResult exact = compute_oracle(p, OracleOptions{.force_exact = true});
    ASSERT_TRUE(testing::same_bits(rstd, exact.rstd[0]))
        << testing::hex(rstd) << " search " << testing::hex(exact.rstd[0]) << "\n"
        << testing::describe(p);
  }
  std::printf("certificate decided rstd for %ld of %ld rows\n", decided, rows);
  EXPECT_GT(decided, rows * 9 / 10);
}

}  // namespace
}  // namespace normcheck::ref
