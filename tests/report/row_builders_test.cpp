// Tests of the report's row constructions: deterministic streams, standardised draws,
// and eps in the f32 default regime.
#include <gtest/gtest.h>

#include <cmath>

#include "report/row_builders.hpp"

namespace normcheck::harness::report {
namespace {

TEST(TaskRng, SameSeedKernelAndTaskGiveTheSameStream) {
  Rng a = task_rng(7, "layernorm.f32.two_pass", 3), b = task_rng(7, "layernorm.f32.two_pass", 3);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a(), b());
}

TEST(TaskRng, SeedKernelAndTaskEachChangeTheStream) {
  const auto first = [](Rng r) { return r(); };
  const auto base = first(task_rng(7, "k", 3));
  EXPECT_NE(base, first(task_rng(8, "k", 3)));
  EXPECT_NE(base, first(task_rng(7, "k2", 3)));
  EXPECT_NE(base, first(task_rng(7, "k", 4)));
}

TEST(StandardizedNormals, HaveMeanZeroAndVarianceOne) {
  Rng rng = task_rng(1, "test", 0);
  const std::vector<double> z = standardized_normals(rng, 1000);
  double mean = 0, var = 0;
  for (double v : z) mean += v;
  mean /= 1000;
  for (double v : z) var += (v - mean) * (v - mean);
  var /= 1000;
  EXPECT_NEAR(mean, 0.0, 1e-14);
  EXPECT_NEAR(var, 1.0, 1e-12);
}

TEST(F32Eps, RoundsToF32OrGivesZeroOutsideItsNormalRange) {
  EXPECT_EQ(f32_eps(1e-5), static_cast<double>(1e-5f));
  EXPECT_EQ(f32_eps(1e-50), 0.0);   // below the smallest normal f32
  EXPECT_EQ(f32_eps(1e300), 0.0);   // overflows f32
  EXPECT_EQ(f32_eps(0.0), 0.0);
}

TEST(MeanOverStd, OfAKnownRow) {
  const double row[] = {9.0, 11.0};  // mean 10, std 1
  EXPECT_DOUBLE_EQ(mean_over_std(row, 2), 10.0);
}

}  // namespace
}  // namespace normcheck::harness::report
