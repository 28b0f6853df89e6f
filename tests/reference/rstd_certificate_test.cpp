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

// rstd of one random row by the certificate, or NaN where it does not decide (or V = 0).
double certified_rstd(const NormProblem& p) {
  detail::RowInput row;
  row.first = p.x.data();
  row.n = p.n;
  row.eps = p.eps;
  row.op = p.op;
  row.significand_bits = traits(p.x_format).precision;
  detail::ExactRowStats stats;
  detail::compute_exact_stats(row, stats);
  const double rstd = std::ldexp(stats.rstd_unscaled, stats.q);
  const bool usable = std::fabs(stats.rstd_unscaled) >= 0x1p-1022 && std::fabs(rstd) >= 0x1p-1022 &&
                      !std::isinf(rstd);
  return usable ? rstd : std::nan("");
}

TEST(RstdCertificate, DecidesTypicalRowsAndAgreesWithTheSearch) {
  std::mt19937_64 rng(99);
  long decided = 0;
  long rows = 0;
  for (Format format : {Format::f32, Format::f16}) {
    for (testing::Regime regime : testing::kAllRegimes) {
      for (int k = 0; k < 100; ++k) {
        NormProblem p = testing::random_problem(rng, format, Format::f32, format, 1,
                                                static_cast<std::int64_t>(2 + rng() % 200), regime);
        p.residual.clear();
        const OracleResult exact = compute_oracle(p, OracleOptions{.force_exact = true});
        if (!std::isfinite(exact.rstd[0]) || exact.rstd[0] == 0.0)
          continue;  // non-finite rows, V = 0
        ++rows;
        const double rstd = certified_rstd(p);
        if (std::isnan(rstd)) continue;
        ++decided;
        ASSERT_TRUE(testing::same_bits(rstd, exact.rstd[0]))
            << testing::hex(rstd) << " search " << testing::hex(exact.rstd[0]) << "\n"
            << testing::describe(p);
      }
    }
  }
  std::printf("certificate decided rstd for %ld of %ld rows\n", decided, rows);
  EXPECT_GT(decided, rows * 9 / 10);
}

}  // namespace
}  // namespace normcheck::ref
