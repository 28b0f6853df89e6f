// The vectorized exact statistics (reference/scaled_row_sums): where they take a row they give
// exactly the statistics of the scalar int64 / __int128 path (q, X_i, S, V, the first tier's
// verdict and its double-double), at the edge of their range (47-bit scaled values, full
// blocks of lane sums) and on random rows; rows outside the range are declined; and the oracle
// on edge rows matches the slow path on both of its paths.
#include "reference/scaled_row_sums.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "reference/exact_stats.hpp"
#include "reference/oracle.hpp"
#include "tests/reference/bit_compare.hpp"
#include "tests/reference/oracle_check.hpp"
#include "tests/reference/test_values.hpp"

namespace normcheck::ref {
namespace {

detail::RowInput row_of(const std::vector<double>& first, const std::vector<double>* second,
                        double eps, Op op, int significand_bits) {
  detail::RowInput row;
  row.first = first.data();
  row.second = second ? second->data() : nullptr;
  row.n = static_cast<std::int64_t>(first.size());
  row.eps = eps;
  row.op = op;
  row.significand_bits = significand_bits;
  return row;
}

// q as exact_stats computes it from eps (ceil(-lsb(eps) / 2)), for calling the vector path alone.
int eps_q_of(double eps) {
  if (eps == 0.0) return INT_MIN;
  int exponent = 0;
  double m = std::frexp(eps, &exponent);  // eps = m 2^exponent, m in [0.5, 1)
  int lsb = exponent - 53;
  m = std::ldexp(m, 53);  // an integer
  while (std::fmod(m, 2.0) == 0.0) {
    m /= 2.0;
    ++lsb;
  }
  return lsb >= 0 ? -(lsb / 2) : (-lsb + 1) / 2;
}

bool vector_path_takes(const detail::RowInput& row) {
  std::vector<std::int64_t> scaled(static_cast<std::size_t>(row.n));
  detail::ScaledRowSums sums;
  const bool taken = detail::scaled_row_sums(row, eps_q_of(row.eps), scaled.data(), sums);
  // The two-lane kernels (the only ones on a CPU without AVX2) agree exactly.
  std::vector<std::int64_t> scaled_portable(scaled.size());
  detail::ScaledRowSums portable;
  EXPECT_EQ(detail::scaled_row_sums(row, eps_q_of(row.eps), scaled_portable.data(), portable,
                                    detail::LaneKernel::portable),
            taken);
  if (taken) {
    EXPECT_EQ(scaled_portable, scaled);
    EXPECT_EQ(portable.q, sums.q);
    EXPECT_EQ(portable.sum, sums.sum);
    EXPECT_TRUE(portable.sum_squares == sums.sum_squares);
    EXPECT_EQ(portable.max_abs, sums.max_abs);
  }
  return taken;
}

// The statistics with the format's precision (the vector path where it applies) against those
// with 53 significant bits claimed (always declined: q_start then spans > 47 bits).
void expect_same_stats(const detail::RowInput& row) {
  detail::RowInput scalar_row = row;
  scalar_row.significand_bits = 53;
  ASSERT_FALSE(vector_path_takes(scalar_row));
  detail::ExactRowStats fast;
  detail::ExactRowStats scalar;
  detail::compute_exact_stats(row, fast);
  detail::compute_exact_stats(scalar_row, scalar);
  EXPECT_EQ(fast.q, scalar.q);
  EXPECT_EQ(fast.fits_int64, scalar.fits_int64);
  EXPECT_EQ(fast.double_tier_row, scalar.double_tier_row);
  EXPECT_TRUE(fast.denom_square == scalar.denom_square);
  EXPECT_TRUE(fast.sum == scalar.sum);
  if (fast.fits_int64 && scalar.fits_int64) {
    EXPECT_EQ(fast.sum_small, scalar.sum_small);
    EXPECT_EQ(fast.scaled, scalar.scaled);
  }
  EXPECT_TRUE(testing::same_bits(fast.rsqrt_hi, scalar.rsqrt_hi));
  EXPECT_TRUE(testing::same_bits(fast.rsqrt_lo, scalar.rsqrt_lo));
}

// f32 values whose smallest has a full significand at 2^-24 (lsb -47, so q = 47) and whose
// largest has its top bit at 2^top: the scaled values need top + 48 bits.
std::vector<double> edge_row(int top, std::int64_t n, bool same_sign) {
  std::vector<double> x;
  x.push_back(std::ldexp(1.0 + 0x1p-23, -24));
  const double largest = std::ldexp(2.0 - 0x1p-23, top);  // msb at 2^top, every bit set
  for (std::int64_t i = 1; i < n; ++i) x.push_back((same_sign || i % 2 == 0) ? largest : -largest);
  return x;
}

TEST(ScaledRowSums, TakesRowsUpTo47BitsAndDeclinesWider) {
  // top = -1: 47 bits, taken; top = 0: 48 bits, declined.
  EXPECT_TRUE(vector_path_takes(row_of(edge_row(-1, 8, true), nullptr, 0.0, Op::layernorm, 24)));
  EXPECT_FALSE(vector_path_takes(row_of(edge_row(0, 8, true), nullptr, 0.0, Op::layernorm, 24)));
  // All zeros (no nonzero element to find q from), and f64 rows that span more than 47 bits.
  const std::vector<double> zeros(16, 0.0);
  EXPECT_FALSE(vector_path_takes(row_of(zeros, nullptr, 0x1p-20, Op::layernorm, 24)));
  EXPECT_FALSE(vector_path_takes(
      row_of({1.0, 0x1.0000000000001p0, 3.0, 4.0}, nullptr, 0.0, Op::layernorm, 53)));
  // A tiny eps raises q past the range: 2^-200 needs q >= 100, and 2^2 * 2^100 is fine, but the
  // row's own q = 23 becomes 100 and the values of 2^20 need 121 bits.
  const std::vector<double> ints = {1.0, 2.0, 3.0, 0x1p20};
  EXPECT_TRUE(vector_path_takes(row_of(ints, nullptr, 0x1p-20, Op::layernorm, 24)));
  EXPECT_FALSE(vector_path_takes(row_of(ints, nullptr, 0x1p-200, Op::layernorm, 24)));
}

TEST(ScaledRowSums, FullBlocksAtTheWidestValuesMatchTheScalarPath) {
  // At 47 bits a lane adds 64 values of nearly 2^47 before a fold: the partial sums reach
  // 2^53 - 2^29, the largest the proof allows. Lengths around the four-lane body and blocks.
  for (std::int64_t n : {4, 7, 255, 256, 257, 1023, 1024, 1031, 4096}) {
    for (bool same_sign : {true, false}) {
      const std::vector<double> x = edge_row(-1, n, same_sign);
      for (Op op : {Op::layernorm, Op::rmsnorm}) {
        const detail::RowInput row = row_of(x, nullptr, 0.0, op, 24);
        ASSERT_TRUE(vector_path_takes(row));
        expect_same_stats(row);
      }
    }
  }
}

TEST(ScaledRowSums, RandomRowsMatchTheScalarPath) {
  std::mt19937_64 rng(4711);
  long taken = 0;
  long declined = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    const testing::Regime regime = testing::kAllRegimes[static_cast<std::size_t>(trial) % 9];
    const Format format =
        (trial % 3 == 0) ? Format::f16 : ((trial % 3 == 1) ? Format::bf16 : Format::f32);
    const auto n = static_cast<std::int64_t>(1 + rng() % 300);
    const std::vector<double> x = testing::random_row(rng, format, n, regime);
    const std::vector<double> r = testing::random_row(rng, format, n, regime);
    double largest = 0.0;
    for (double v : x) largest = std::max(largest, std::fabs(v));
    const double eps = testing::random_eps(rng, largest > 0.0 ? std::ilogb(largest) : 0);
    bool finite = true;
    for (double v : x) finite &= std::isfinite(v);
    for (double v : r) finite &= std::isfinite(v);
    if (!finite) continue;
    const bool with_residual = trial % 4 == 0;
    const detail::RowInput row =
        row_of(x, with_residual ? &r : nullptr, eps, trial % 5 == 0 ? Op::rmsnorm : Op::layernorm,
               traits(format).precision);
    (vector_path_takes(row) ? taken : declined) += 1;
    expect_same_stats(row);
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "trial " << trial << " n " << n;
      return;
    }
  }
  std::printf("vector path took %ld rows, declined %ld\n", taken, declined);
  EXPECT_GT(taken, 1000);
}

TEST(ScaledRowSums, EdgeRowsMatchTheSlowPathOnBothOraclePaths) {
  for (int top : {-1, 0}) {  // the last row the vector path takes, the first it declines
    NormProblem p;
    p.op = Op::layernorm;
    p.x_format = p.param_format = p.y_format = Format::f32;
    p.n = 257;
    p.x = edge_row(top, p.n, false);
    p.x[5] = -std::ldexp(1.0 + 0x1p-22, top - 3);  // some spread besides the two magnitudes
    p.eps = 0x1p-30;
    EXPECT_EQ(testing::compare_with_slow(p), 0);
    EXPECT_EQ(testing::compare_with_slow(p, OracleOptions{.force_exact = true}), 0);
  }
}

}  // namespace
}  // namespace normcheck::ref
