// Tests of the error measures at +-0, NaN, infinities, subnormals and binade boundaries,
// for every format.
#include "harness/measures.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

#include <gtest/gtest.h>

namespace normcheck::harness {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

class MeasuresTest : public ::testing::TestWithParam<ref::Format> {
 protected:
  ref::Format f = GetParam();
  double min_subnormal() const { return ref::from_bits(f, 1); }
  double min_normal() const { return std::ldexp(1.0, ref::traits(f).emin); }
  double max_finite() const { return ref::next_down(f, kInf); }
  double one_ulp_at_one() const { return std::ldexp(1.0, 1 - ref::traits(f).precision); }
};

TEST_P(MeasuresTest, UlpDistanceAroundZero) {
  EXPECT_EQ(ulp_distance(f, 0.0, -0.0), 0);
  EXPECT_EQ(ulp_distance(f, -0.0, 0.0), 0);
  EXPECT_EQ(ulp_distance(f, min_subnormal(), 0.0), 1);
  EXPECT_EQ(ulp_distance(f, -min_subnormal(), -0.0), 1);
  EXPECT_EQ(ulp_distance(f, -min_subnormal(), min_subnormal()), 2);  // across zero
  EXPECT_EQ(ulp_distance(f, 3 * min_subnormal(), -2 * min_subnormal()), 5);
}

TEST_P(MeasuresTest, UlpDistanceAtBinadeBoundaries) {
  EXPECT_EQ(ulp_distance(f, 1.0, 1.0), 0);
  EXPECT_EQ(ulp_distance(f, ref::next_up(f, 1.0), 1.0), 1);
  EXPECT_EQ(ulp_distance(f, ref::next_down(f, 1.0), 1.0), 1);  // half the spacing, still one step
  EXPECT_EQ(ulp_distance(f, ref::next_down(f, 1.0), ref::next_up(f, 1.0)), 2);
  EXPECT_EQ(ulp_distance(f, min_normal(), ref::next_down(f, min_normal())), 1);  // subnormal edge
  EXPECT_EQ(ulp_distance(f, 2.0, 1.0), std::int64_t{1} << (ref::traits(f).precision - 1));
}

TEST_P(MeasuresTest, UlpDistanceAtInfinity) {
  EXPECT_EQ(ulp_distance(f, kInf, max_finite()), 1);
  EXPECT_EQ(ulp_distance(f, -kInf, -max_finite()), 1);
  EXPECT_EQ(ulp_distance(f, kInf, kInf), 0);
  if (f == ref::Format::f64) {
    EXPECT_EQ(ulp_distance(f, -kInf, kInf), std::numeric_limits<std::int64_t>::max());  // saturates
  } else {
    EXPECT_EQ(ulp_distance(f, -kInf, kInf), 2 * ulp_distance(f, kInf, 0.0));
  }
}

TEST_P(MeasuresTest, UlpDistanceRejectsNaN) {
  EXPECT_THROW(ulp_distance(f, std::nan(""), 1.0), std::invalid_argument);
  EXPECT_THROW(ulp_distance(f, 1.0, std::nan("")), std::invalid_argument);
}

TEST_P(MeasuresTest, UlpErrorUsesTheUlpOfTheRoundedExactValue) {
  const double u1 = one_ulp_at_one();
  EXPECT_EQ(ulp_error(f, 1.0, 1.0), 0.0);
  EXPECT_EQ(ulp_error(f, ref::next_up(f, 1.0), 1.0), 1.0);
  EXPECT_EQ(ulp_error(f, ref::next_down(f, 1.0), 1.0), 0.5);  // below 1 the spacing halves
  if (f != ref::Format::f64) {
    EXPECT_EQ(ulp_error(f, 1.0, 1.0 + u1 / 2), 0.5);  // a midpoint
  }
  // Just below 2, the exact value rounds up to 2: the ulp is that of 2's binade.
  if (f != ref::Format::f64) {
    EXPECT_EQ(ulp_error(f, 2.0, 2.0 - u1 / 8), 1.0 / 16);
  }
  EXPECT_EQ(ulp_error(f, -1.0, -1.0 - u1), 1.0);
}

TEST_P(MeasuresTest, UlpErrorAtZeroAndSubnormals) {
  const double tiny = min_subnormal();
  EXPECT_EQ(ulp_error(f, tiny, 0.0), 1.0);  // ulp(0) is the smallest subnormal
  EXPECT_EQ(ulp_error(f, -0.0, 0.0), 0.0);
  EXPECT_EQ(ulp_error(f, 4 * tiny, 3 * tiny), 1.0);
  EXPECT_EQ(ulp_error(f, min_normal(), ref::next_down(f, min_normal())), 1.0);  // same spacing
}

TEST_P(MeasuresTest, UlpErrorOfSpecialActualValues) {
  EXPECT_EQ(ulp_error(f, kInf, 1.0), kInf);
  EXPECT_EQ(ulp_error(f, -kInf, 1.0), kInf);
  EXPECT_TRUE(std::isnan(ulp_error(f, std::nan(""), 1.0)));
  // An exact value beyond the format's range: RN is inf, whose ulp is that of max finite.
  if (f != ref::Format::f64) {
    const double beyond = 2 * max_finite();
    EXPECT_EQ(ulp_error(f, max_finite(), beyond), max_finite() / ref::ulp(f, max_finite()));
  }
}

TEST_P(MeasuresTest, SignedUlpErrorKeepsTheDirection) {
  const double u1 = one_ulp_at_one();
  EXPECT_EQ(signed_ulp_error(f, 1.0, 1.0), 0.0);
  EXPECT_EQ(signed_ulp_error(f, ref::next_up(f, 1.0), 1.0), 1.0);
  EXPECT_EQ(signed_ulp_error(f, ref::next_down(f, 1.0), 1.0), -0.5);  // the ulp of RN(1) = 1
  EXPECT_EQ(signed_ulp_error(f, -1.0, -1.0 - u1), 1.0);               // above, though smaller in magnitude
  EXPECT_EQ(signed_ulp_error(f, -1.0 - u1, -1.0), -1.0);
  if (f != ref::Format::f64) {
    // Truncating an exact value a quarter ulp above 1 gives 1: a quarter ulp below it.
    EXPECT_EQ(signed_ulp_error(f, 1.0, 1.0 + u1 / 4), -0.25);
    EXPECT_EQ(signed_ulp_error(f, 2.0, 2.0 - u1 / 8), 1.0 / 16);  // the ulp of RN = 2's binade
  }
  EXPECT_EQ(signed_ulp_error(f, 3 * min_subnormal(), 4 * min_subnormal()), -1.0);
  EXPECT_EQ(signed_ulp_error(f, -kInf, 1.0), -kInf);
  EXPECT_TRUE(std::isnan(signed_ulp_error(f, std::nan(""), 1.0)));
}

TEST_P(MeasuresTest, ScoreReducesToUlpErrorWithoutTermScale) {
  EXPECT_EQ(error_score(f, ref::next_up(f, 1.0), 1.0, 0.0, unit_roundoff(ref::Format::f32)), 1.0);
  EXPECT_EQ(error_score(f, 3 * min_subnormal(), 0.0, 0.0, 0.5), 3.0);
  EXPECT_EQ(error_score(f, kInf, 1.0, 1.0, 0.5), kInf);
  EXPECT_TRUE(std::isnan(error_score(f, std::nan(""), 1.0, 1.0, 0.5)));
}

INSTANTIATE_TEST_SUITE_P(AllFormats, MeasuresTest,
                         ::testing::Values(ref::Format::f16, ref::Format::bf16, ref::Format::f32,
                                           ref::Format::f64),
                         [](const auto& param_info) { return std::string(ref::format_name(param_info.param)); });

TEST(MeasuresScalarTest, UnitRoundoff) {
  EXPECT_EQ(unit_roundoff(ref::Format::f16), 0x1p-11);
  EXPECT_EQ(unit_roundoff(ref::Format::bf16), 0x1p-8);
  EXPECT_EQ(unit_roundoff(ref::Format::f32), 0x1p-24);
  EXPECT_EQ(unit_roundoff(ref::Format::f64), 0x1p-53);
}

TEST(MeasuresScalarTest, TermScaleIsTheMagnitudeOfTheMeetingTerms) {
  // gamma = -2, x = 3, mean = -1, rstd = 0.5, beta = -0.25: 2 * (3 + 1) * 0.5 + 0.25.
  EXPECT_EQ(term_scale(-2, 3, -1, 0.5, -0.25), 4.25);
  EXPECT_EQ(term_scale(1, -0.0, 0, 1, 0), 0.0);
}

TEST(MeasuresScalarTest, TermScaleSurvivesProductsBeyondDoubleRange) {
  // gamma * |x| = 2^-1110 underflows a double, though A = 2^-516 does not.
  EXPECT_EQ(term_scale(0x1p-523, 0x1p-587, 0x1p-587, 0x1p593, 0), 0x1p-516);
  // gamma * |x| = 2^1100 overflows, A = 2^1000 does not.
  EXPECT_EQ(term_scale(0x1p600, 0x1p500, 0, 0x1p-100, 0), 0x1p1000);
  // A beyond double range is kept (long double): clamping it would turn a huge tolerance
  // into a false finding for f64 outputs near the top of the range.
  EXPECT_EQ(term_scale(0x1p1000, 0x1p1000, 0, 1, 0), 0x1p2000L);
}

TEST(MeasuresScalarTest, UnderflowScaleIsTheSmallestNormalTimesTheAmplification) {
  EXPECT_EQ(underflow_scale(ref::Format::f32, -4.0, 3.0), 0x1p-126 * 16);
  EXPECT_EQ(underflow_scale(ref::Format::f16, 1.0, 0.0), 0x1p-14);
  EXPECT_EQ(underflow_scale(ref::Format::bf16, 0.0, 5.0), 0.0);
  EXPECT_EQ(underflow_scale(ref::Format::f64, 1.0, 1.0), 0x1p-1021);
}

// The worked example of docs/error-measures.md: a large mean and a small spread.
TEST(MeasuresScalarTest, ScoreForgivesInherentCancellation) {
  // x_i = 1000.5, mean = 1000, rstd = 1 (std 1): y = 0.5, A = 2000.5. An f32 kernel
  // that is off by 2^-10 (16384 ulp of 0.5, about 8 * u_c * A) is not unstable.
  const double exact = 0.5;
  const double got = 0.5 + 0x1p-10;
  const long double a = term_scale(1, 1000.5, 1000, 1, 0);
  EXPECT_EQ(ulp_error(ref::Format::f32, got, exact), 16384.0);
  const double score = error_score(ref::Format::f32, got, exact, a, unit_roundoff(ref::Format::f32));
  EXPECT_GT(score, 7.9);
  EXPECT_LT(score, 8.3);
}

TEST(MeasuresScalarTest, SpecialMismatchClasses) {
  const double nan = std::nan("");
  EXPECT_EQ(special_mismatch(nan, nan), SpecialMismatch::none);
  EXPECT_EQ(special_mismatch(kInf, kInf), SpecialMismatch::none);
  EXPECT_EQ(special_mismatch(-0.0, 0.0), SpecialMismatch::none);
  EXPECT_EQ(special_mismatch(1.0, 2.0), SpecialMismatch::none);  // numbers are the score's business
  EXPECT_EQ(special_mismatch(nan, 1.0), SpecialMismatch::nan_for_number);
  EXPECT_EQ(special_mismatch(nan, -kInf), SpecialMismatch::nan_for_number);
  EXPECT_EQ(special_mismatch(0.0, nan), SpecialMismatch::number_for_nan);
  EXPECT_EQ(special_mismatch(kInf, nan), SpecialMismatch::number_for_nan);
  EXPECT_EQ(special_mismatch(-kInf, 1e300), SpecialMismatch::inf_for_finite);
  EXPECT_EQ(special_mismatch(65504.0, kInf), SpecialMismatch::finite_for_inf);
  EXPECT_EQ(special_mismatch(-kInf, kInf), SpecialMismatch::wrong_sign_inf);
  EXPECT_EQ(special_mismatch_name(SpecialMismatch::wrong_sign_inf), "wrong-sign-inf");
  EXPECT_EQ(special_mismatch_name(SpecialMismatch::none), "none");
}

TEST(MeasuresScalarTest, KappaEps) {
  EXPECT_EQ(kappa_eps(1.0, 1.0, 0.0, 1.0), 0.0);
  EXPECT_EQ(kappa_eps(2.0, 0.0, 1e-5, 1.0), kInf);
  EXPECT_EQ(kappa_eps(0.0, 0.0, 1e-5, 1.0), 0.0);
  // var = eps: the normalized value moves by a quarter of eps's relative change.
  EXPECT_EQ(kappa_eps(1.0, 1.0, 0.5, 0.5), 0.25);
  EXPECT_EQ(kappa_eps(-3.0, 1.5, 1.0, 0.0), 1.0);
}

}  // namespace
}  // namespace normcheck::harness
