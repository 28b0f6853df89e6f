// Formats: exhaustive 16-bit round trips, RNE hard cases as bit patterns, neighbours, ulp.
#include "reference/format.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <vector>
#include <limits>

#include "tests/reference/bit_compare.hpp"
#include "tests/reference/slow_reference.hpp"

namespace normcheck::ref {
namespace {

using testing::same_bits;

TEST(Format, TraitsAndNames) {
  EXPECT_EQ(traits(Format::f16).precision, 11);
  EXPECT_EQ(traits(Format::bf16).emin, -126);
  EXPECT_EQ(traits(Format::f32).emax, 127);
  EXPECT_EQ(traits(Format::f64).bits, 64);
  for (Format f : {Format::f16, Format::bf16, Format::f32, Format::f64}) {
    EXPECT_EQ(parse_format(format_name(f)), f);
  }
  EXPECT_FALSE(parse_format("f8").has_value());
}

class SixteenBit : public ::testing::TestWithParam<Format> {};

TEST_P(SixteenBit, EveryBitPatternRoundTrips) {
  const Format f = GetParam();
  const std::uint64_t canonical_nan = to_bits(f, std::numeric_limits<double>::quiet_NaN());
  long mismatches = 0;
  for (std::uint64_t bits = 0; bits < 0x10000; ++bits) {
    const double v = from_bits(f, bits);
    const std::uint64_t back = to_bits(f, v);
    const bool ok = std::isnan(v) ? back == canonical_nan : back == bits;
    const bool rounds_to_itself = same_bits(round_to_format(f, v), v);
    const bool slow_agrees = same_bits(testing::slow_round(f, v), v);
    if (!(ok && rounds_to_itself && slow_agrees && is_representable(f, v)) && mismatches++ < 10) {
      ADD_FAILURE() << "bits 0x" << std::hex << bits << " value " << testing::hex(v);
    }
  }
  EXPECT_EQ(mismatches, 0);
}

TEST_P(SixteenBit, NeighboursFollowBitPatterns) {
  const Format f = GetParam();
  const std::uint64_t inf_bits = to_bits(f, std::numeric_limits<double>::infinity());
  const std::uint64_t sign = 0x8000;
  for (std::uint64_t bits = 0; bits < inf_bits; ++bits) {
    const double v = from_bits(f, bits);
    ASSERT_TRUE(same_bits(next_up(f, v), from_bits(f, bits + 1))) << bits;
    ASSERT_TRUE(same_bits(next_down(f, -v), from_bits(f, sign | (bits + 1)))) << bits;
    // The gap above a positive value is its ulp.
    ASSERT_EQ(next_up(f, v) - v, bits + 1 == inf_bits ? std::numeric_limits<double>::infinity() : ulp(f, v)) << bits;
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, SixteenBit, ::testing::Values(Format::f16, Format::bf16),
                         [](const auto& test_info) { return std::string(format_name(test_info.param)); });

struct HardCase {
  Format format;
  double value;
  std::uint64_t expected_bits;
};

// value -> RN bits, with the value spelled out in the comment.
const HardCase kHardCases[] = {
    {Format::f16, 1.0 + 0x1p-11, 0x3c00},           // 1 + ulp/2: tie to even 1
    {Format::f16, 1.0 + 0x3p-11, 0x3c02},           // 1 + 3ulp/2: tie to even 1+2ulp
    {Format::f16, 1.0 + 0x1p-11 + 0x1p-40, 0x3c01},  // just above the tie
    {Format::f16, 0x1p-25, 0x0000},                 // min_subnormal/2: tie to +0
    {Format::f16, -0x1p-25, 0x8000},                // -min_subnormal/2: tie to -0
    {Format::f16, 0x1p-25 + 0x1p-60, 0x0001},       // above half the min subnormal
    {Format::f16, 0x3p-25, 0x0002},                 // 1.5 min_subnormal: tie to 2
    {Format::f16, 0x7ffp-25, 0x0400},               // between max subnormal and 2^-14: to 2^-14
    {Format::f16, 0x7fdp-25, 0x03fe},               // 1022.5 * 2^-24: tie to even 1022
    {Format::f16, 65504.0, 0x7bff},                 // max
    {Format::f16, 65520.0 - 0x1p-20, 0x7bff},       // just below the overflow threshold
    {Format::f16, 65520.0, 0x7c00},                 // max + ulp/2: overflows to inf
    {Format::f16, -65520.0, 0xfc00},                // to -inf
    {Format::f16, -0.0, 0x8000},                    // signed zero
    {Format::f16, -0x1p-30, 0x8000},                // underflow keeps the sign
    {Format::bf16, 1.0 + 0x1p-8, 0x3f80},           // tie to even 1
    {Format::bf16, 1.0 + 0x3p-8, 0x3f82},           // tie to even
    {Format::bf16, 0x1p-134, 0x0000},               // min_subnormal/2 = 2^-134: to 0
    {Format::bf16, 0x3p-134, 0x0002},               // tie to 2 * 2^-133
    {Format::bf16, 0x1.fep127, 0x7f7f},             // max
    {Format::bf16, 0x1.ffp127, 0x7f80},             // overflow threshold: inf
    {Format::bf16, 0x1.fefffp127, 0x7f7f},          // below it
    {Format::f32, 1.0 + 0x1p-24, 0x3f80'0000},      // tie to even 1
    {Format::f32, 0x1p-150, 0x0000'0000},           // min_subnormal/2: to 0
    {Format::f32, 0x1.8p-149, 0x0000'0002},         // 1.5 min_subnormal: tie to 2
    {Format::f32, 0x1.ffffffp127, 0x7f80'0000},     // overflow threshold: inf
    {Format::f32, 0x1.fffffefffp127, 0x7f7f'ffff},  // below it: max
    {Format::f64, 0x1p-1074, 0x1},                  // min subnormal is itself
};

TEST(Format, HardRoundingCases) {
  for (const HardCase& c : kHardCases) {
    const double rounded = round_to_format(c.format, c.value);
    EXPECT_EQ(to_bits(c.format, rounded), c.expected_bits) << format_name(c.format) << " " << testing::hex(c.value);
    EXPECT_TRUE(same_bits(rounded, testing::slow_round(c.format, c.value))) << testing::hex(c.value);
  }
}

RC_GTEST_PROP(Format, RoundingMatchesMpfrOnRandomDoubles, (std::uint64_t bits)) {
  const double v = std::bit_cast<double>(bits);
  for (Format f : {Format::f16, Format::bf16, Format::f32}) {
    RC_ASSERT(same_bits(round_to_format(f, v), testing::slow_round(f, v)));
  }
  if (!std::isnan(v)) RC_ASSERT(same_bits(round_to_format(Format::f32, v), static_cast<double>(static_cast<float>(v))));
}

// Doubles near each format's interesting boundaries, which uniform bit patterns miss.
RC_GTEST_PROP(Format, RoundingMatchesMpfrNearBoundaries, (std::uint32_t low_bits, bool negative)) {
  for (Format f : {Format::f16, Format::bf16, Format::f32}) {
    const FormatTraits& t = traits(f);
    for (int exponent : {t.emin - t.precision, t.emin - 1, t.emin, t.emax}) {
      const double v = std::ldexp(1.0 + std::ldexp(static_cast<double>(low_bits), -32), exponent);
      const double signed_v = negative ? -v : v;
      RC_ASSERT(same_bits(round_to_format(f, signed_v), testing::slow_round(f, signed_v)));
    }
  }
}

// The codec reads a double's own fields. Against the definitions: representable means
// rounding leaves it unchanged; a representable value's pattern decodes to it; the ulp is
// 2^(max(floor(log2|v|), emin) - p + 1). Random doubles and their roundings (which are
// representable) in every format.
RC_GTEST_PROP(Format, CodecAgreesWithRoundingOnRandomDoubles, (std::uint64_t bits)) {
  const double v = std::bit_cast<double>(bits);
  for (Format f : {Format::f16, Format::bf16, Format::f32}) {
    const FormatTraits& t = traits(f);
    for (const double w : {v, testing::slow_round(f, v)}) {
      const bool representable = std::isnan(w) || same_bits(testing::slow_round(f, w), w);
      RC_ASSERT(is_representable(f, w) == representable);
      if (!representable) {
        RC_ASSERT_THROWS_AS(to_bits(f, w), std::invalid_argument);
        continue;
      }
      if (!std::isnan(w)) RC_ASSERT(same_bits(from_bits(f, to_bits(f, w)), w));
      if (std::isfinite(w)) {
        const int exponent = w == 0.0 ? t.emin : std::max(std::ilogb(w), t.emin);
        RC_ASSERT(ulp(f, w) == std::ldexp(1.0, exponent - t.precision + 1));
      }
    }
  }
}

// The array codecs give each value's to_bits / from_bits, in every format, specials
// included, and refuse an array holding one value the format cannot represent.
RC_GTEST_PROP(Format, ArrayCodecsAgreeWithTheScalarOnes, (std::vector<std::uint64_t> bits)) {
  for (Format f : {Format::f16, Format::bf16, Format::f32, Format::f64}) {
    const auto width = static_cast<std::size_t>(traits(f).bits / 8);
    std::vector<double> values{0.0, -0.0, std::numeric_limits<double>::infinity(),
                               -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()};
    for (const auto b : bits) values.push_back(round_to_format(f, std::bit_cast<double>(b)));
    std::vector<unsigned char> encoded(values.size() * width);
    encode_values(f, values.data(), values.size(), encoded.data());
    std::vector<double> decoded(values.size());
    decode_values(f, encoded.data(), values.size(), decoded.data());
    for (std::size_t i = 0; i < values.size(); ++i) {
      std::uint64_t pattern = 0;
      std::memcpy(&pattern, encoded.data() + i * width, width);  // little-endian, as the kernels
      RC_ASSERT(pattern == to_bits(f, values[i]));
      const bool same = std::isnan(values[i]) ? std::isnan(decoded[i]) : same_bits(decoded[i], values[i]);
      RC_ASSERT(same);
    }
    if (f != Format::f64 && !bits.empty()) {
      const double inexact = from_bits(Format::f64, bits.front() | 1);  // odd f64 significand
      if (std::isfinite(inexact) && !is_representable(f, inexact)) {
        values.push_back(inexact);
        encoded.resize(values.size() * width);
        RC_ASSERT_THROWS_AS(encode_values(f, values.data(), values.size(), encoded.data()), std::invalid_argument);
      }
    }
  }
}

RC_GTEST_PROP(Format, ArrayRoundingIsTheScalarRounding, (std::vector<std::uint64_t> bits)) {
  for (Format f : {Format::f16, Format::bf16, Format::f32, Format::f64}) {
    std::vector<double> values;
    for (const auto b : bits) values.push_back(std::bit_cast<double>(b));
    std::vector<double> rounded = values;
    round_to_format(f, rounded.data(), rounded.size());
    for (std::size_t i = 0; i < values.size(); ++i) RC_ASSERT(same_bits(rounded[i], round_to_format(f, values[i])));
  }
}

TEST(Format, ClassifyUlpAndErrors) {
  EXPECT_EQ(classify(Format::f16, 0x1p-15), FpClass::subnormal);
  EXPECT_EQ(classify(Format::f16, 0x1p-14), FpClass::normal);
  EXPECT_EQ(classify(Format::f32, -0.0), FpClass::zero);
  EXPECT_EQ(classify(Format::bf16, std::numeric_limits<double>::infinity()), FpClass::infinite);
  EXPECT_EQ(classify(Format::f64, std::numeric_limits<double>::quiet_NaN()), FpClass::nan);
  EXPECT_EQ(ulp(Format::f16, 0.0), 0x1p-24);
  EXPECT_EQ(ulp(Format::f16, 1.0), 0x1p-10);
  EXPECT_EQ(ulp(Format::f16, std::numeric_limits<double>::infinity()), 32.0);  // ulp(max) = 2^(15-10)
  EXPECT_EQ(ulp(Format::f64, 0x1p-1074), 0x1p-1074);
  EXPECT_EQ(ulp(Format::bf16, -3.0), 0x1p-6);
  EXPECT_THROW(to_bits(Format::f16, 1.0 + 0x1p-20), std::invalid_argument);
  EXPECT_THROW(from_bits(Format::f16, 0x1'0000), std::invalid_argument);
  EXPECT_EQ(to_bits(Format::f32, -std::numeric_limits<double>::quiet_NaN()), 0x7fc0'0000u);
  EXPECT_TRUE(same_bits(next_up(Format::f32, -0x1p-149), -0.0));
  EXPECT_EQ(next_up(Format::f64, std::numeric_limits<double>::max()), std::numeric_limits<double>::infinity());
  EXPECT_EQ(next_down(Format::f16, std::numeric_limits<double>::infinity()), 65504.0);
}

}  // namespace
}  // namespace normcheck::ref
