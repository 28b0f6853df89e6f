// The kernels' fp16 / bf16 conversions against the formats' definitions (exhaustive for fp16).
#include "impls/kernels/float_formats.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <random>

#include "kernel_test_support.hpp"

namespace normcheck::impls::testing {
namespace {

TEST(FloatFormats, EveryF16DecodesToItsValue) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const auto h = static_cast<uint16_t>(bits);
    const long double want = decode(NORMCHECK_F16, &h, 0);
    const float got = f16_to_f32(h);
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(got)) << std::hex << bits;
    } else {
      ASSERT_EQ(got, want) << std::hex << bits;
      ASSERT_EQ(std::signbit(got), std::signbit(want)) << std::hex << bits;
    }
  }
}

// Values at, just beside and exactly between consecutive fp16 values, plus random floats.
TEST(FloatFormats, F32ToF16RoundsToNearestEven) {
  std::vector<float> probes;
  for (uint32_t bits = 0; bits < 0x7c00; ++bits) {
    const auto h = static_cast<uint16_t>(bits);
    const auto next = static_cast<uint16_t>(bits + 1);
    const float a = f16_to_f32(h);
    const float mid = static_cast<float>((static_cast<double>(a) + decode(NORMCHECK_F16, &next, 0)) / 2);
    for (float v : {a, mid, std::nextafter(mid, 0.0f), std::nextafter(mid, INFINITY)}) {
      probes.push_back(v);
      probes.push_back(-v);
    }
  }
  std::mt19937 rng(1);
  for (int i = 0; i < 200'000; ++i) probes.push_back(std::bit_cast<float>(static_cast<uint32_t>(rng())));
  for (float v : probes) {
    const uint16_t h = f32_to_f16(v);
    const long double want = round_to(NORMCHECK_F16, v);
    const long double got = decode(NORMCHECK_F16, &h, 0);
    if (std::isnan(v)) {
      ASSERT_TRUE(std::isnan(got));
      continue;
    }
    ASSERT_EQ(got, want) << std::hexfloat << v;
    ASSERT_EQ(std::signbit(got), std::signbit(v)) << std::hexfloat << v;
  }
}

TEST(FloatFormats, RowConversionsMatchScalarOnes) {
  std::mt19937 rng(2);
  std::vector<float> values(1003);
  for (auto& v : values) v = std::bit_cast<float>(static_cast<uint32_t>(rng()) & 0xbfff'ffffu);
  std::vector<uint16_t> halves(values.size());
  f32_row_to_f16(values.data(), halves.data(), static_cast<int64_t>(values.size()));
  std::vector<float> back(values.size());
  f16_row_to_f32(halves.data(), back.data(), static_cast<int64_t>(values.size()));
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) continue;  // payloads may differ between F16C and the scalar code
    EXPECT_EQ(halves[i], f32_to_f16(values[i])) << i;
    EXPECT_EQ(std::bit_cast<uint32_t>(back[i]), std::bit_cast<uint32_t>(f16_to_f32(halves[i]))) << i;
  }
}

TEST(FloatFormats, F32ToBF16RoundsToNearestEven) {
  std::mt19937 rng(3);
  for (int i = 0; i < 500'000; ++i) {
    // Low halves near 0x8000 exercise the ties.
    const uint32_t high = static_cast<uint32_t>(rng()) & 0xffff'0000u;
    const uint32_t low = i % 2 ? 0x8000u + static_cast<uint32_t>(i % 3) - 1
                               : static_cast<uint32_t>(rng()) & 0xffffu;
    const uint32_t bits = high | low;
    const float v = std::bit_cast<float>(bits);
    const uint16_t b = f32_to_bf16(v);
    const long double got = decode(NORMCHECK_BF16, &b, 0);
    if (std::isnan(v)) {
      ASSERT_TRUE(std::isnan(got)) << std::hex << bits;
      continue;
    }
    ASSERT_EQ(got, round_to(NORMCHECK_BF16, v)) << std::hexfloat << v;
    ASSERT_EQ(bf16_to_f32(b), static_cast<float>(got));
  }
}

}  // namespace
}  // namespace normcheck::impls::testing
