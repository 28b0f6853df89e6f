// Unit tests of the special-value boundary rules: overflow within the score budget and
// infinite gamma on a value too small to sign.
#include "harness/special_value_policy.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace normcheck::harness {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(SpecialValuePolicyTest, OverflowThresholdIsMaxPlusHalfAnUlp) {
  EXPECT_EQ(overflow_threshold(ref::Format::f16), 65520.0);               // 65504 + 16
  EXPECT_EQ(overflow_threshold(ref::Format::bf16), 0x1.ffp127);           // 0x1.fep127 + 2^119
  EXPECT_EQ(overflow_threshold(ref::Format::f32), 0x1.ffffffp127);        // FLT_MAX + 2^103
  EXPECT_EQ(overflow_threshold(ref::Format::f64), std::numeric_limits<double>::max());
}

TEST(SpecialValuePolicyTest, InfinityIsJudgedByTheScoreOfTheThreshold) {
  const auto f16 = ref::Format::f16;
  const double u = 0x1p-24;
  // Exact 65000 with a scale of 100: the threshold is 520 away, score 520 / (32 + u*100) > 16.
  EXPECT_FALSE(overflow_within_budget(SpecialMismatch::inf_for_finite, f16, kInf, 65000, 100, u, 16));
  // With a scale of 2^30 the kernel's own rounding may reach 64 * 16 = 1024 > 520.
  EXPECT_TRUE(overflow_within_budget(SpecialMismatch::inf_for_finite, f16, kInf, 65000, 0x1p30, u, 16));
  // The wrong side of zero is judged the same way: far unless the scale is enormous.
  EXPECT_FALSE(overflow_within_budget(SpecialMismatch::wrong_sign_inf, f16, -kInf, 70000, 0x1p30, u, 16));
  EXPECT_TRUE(overflow_within_budget(SpecialMismatch::wrong_sign_inf, f16, -kInf, 70000, 0x1p50, u, 16));
  // A finite result where the exact value overflowed: its own score.
  EXPECT_TRUE(overflow_within_budget(SpecialMismatch::finite_for_inf, f16, 65504, 65530, 100, u, 16));
  EXPECT_FALSE(overflow_within_budget(SpecialMismatch::finite_for_inf, f16, 1, 65530, 100, u, 16));
  // NaN is never an overflow, and an exact value beyond double range cannot be judged.
  EXPECT_FALSE(overflow_within_budget(SpecialMismatch::nan_for_number, f16, std::nan(""), 1, 0x1p60, u, 16));
  EXPECT_FALSE(overflow_within_budget(SpecialMismatch::finite_for_inf, ref::Format::f64, 1e308, kInf, 1, u, 16));
}

TEST(SpecialValuePolicyTest, InfiniteGammaOnlyWhereTheSignIsBelowRounding) {
  const double u = 0x1p-24;
  // t = (1e-9 - 0) * 1 with terms of size 1: below 16 u, either infinity or NaN conforms.
  EXPECT_TRUE(infinite_gamma_indeterminate(kInf, 1e-9, 0, 1, 1, u, 16, ref::Format::f32));
  EXPECT_FALSE(infinite_gamma_indeterminate(kInf, 1e-3, 0, 1, 1, u, 16, ref::Format::f32));
  // A finite gamma is never indeterminate.
  EXPECT_FALSE(infinite_gamma_indeterminate(2.0, 1e-9, 0, 1, 1, u, 16, ref::Format::f32));
}

}  // namespace
}  // namespace normcheck::harness
