// round_sum_to_format: RN of an exact sum of two format values, against MPFR.
#include "reference/rounding.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <random>

#include "tests/reference/bit_compare.hpp"
#include "tests/reference/slow_reference.hpp"
#include "tests/reference/test_values.hpp"

namespace normcheck::ref {
namespace {

using testing::same_bits;

// The exact sum through MPFR: x + r is exact at 2400 bits.
double slow_sum(Format f, double a, double b) {
  NormProblem p;
  p.x_format = f;
  p.n = 1;
  p.eps = 1.0;
  p.x = {a};
  p.residual = {b};
  return testing::slow_oracle(p).residual_out[0];
}

TEST(RoundSum, HardCases) {
  // f16: 2048 + 1 is a tie (ulp 2) -> 2048; 2048 + 1 + 2^-24 is above it -> 2050.
  EXPECT_EQ(round_sum_to_format(Format::f16, 2048.0, 1.0), 2048.0);
  EXPECT_EQ(round_sum_to_format(Format::f16, 2049.0 - 1.0, 1.0 + 0x1p-10), 2050.0);
  EXPECT_EQ(round_sum_to_format(Format::f32, 1.0 + 0x1p-24, 0x1p-140), 1.0 + 0x1p-23);  // above the tie
  EXPECT_EQ(round_sum_to_format(Format::f32, 1.0 + 0x1p-24, -0x1p-140), 1.0);           // below the tie
  EXPECT_EQ(round_sum_to_format(Format::f16, 65504.0, 16.0), std::numeric_limits<double>::infinity());  // tie at threshold
  EXPECT_EQ(round_sum_to_format(Format::f16, 65504.0, 15.0), 65504.0);
  EXPECT_TRUE(same_bits(round_sum_to_format(Format::f32, -0.0, -0.0), -0.0));
  EXPECT_TRUE(same_bits(round_sum_to_format(Format::f32, 1.0, -1.0), 0.0));
}

TEST(RoundSum, MatchesMpfrOnRandomPairs) {
  std::mt19937_64 rng(7);
  long mismatches = 0;
  for (Format f : {Format::f16, Format::bf16, Format::f32, Format::f64}) {
    const FormatTraits& t = traits(f);
    for (int i = 0; i < 4000; ++i) {
      const double a = testing::random_value(rng, f, t.emin - t.precision, t.emax);
      // b close to a's scale half of the time, so the sum lands near midpoints often.
      const double b = (i % 2) ? testing::random_value(rng, f, t.emin - t.precision, t.emax)
                               : testing::random_value(rng, f, std::ilogb(a) - t.precision - 2, std::ilogb(a) - t.precision + 1);
      const double got = round_sum_to_format(f, a, b);
      if (!same_bits(got, slow_sum(f, a, b)) && mismatches++ < 10) {
        ADD_FAILURE() << format_name(f) << " " << testing::hex(a) << " + " << testing::hex(b);
      }
    }
  }
  EXPECT_EQ(mismatches, 0);
}

}  // namespace
}  // namespace normcheck::ref
