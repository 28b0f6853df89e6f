// Tests of the differential fuzz targets' binary layout: round trips, bounds, storage
// conversion and eps decoding (fuzz/fuzz_input.hpp).
#include "fuzz/fuzz_input.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "reference/format.hpp"

namespace normcheck::fuzz {
namespace {

using ref::Format;

harness::KernelShape f32_layernorm(bool fused = false) {
  harness::KernelShape s;
  s.fused = fused;
  return s;
}

ref::NormProblem sample_problem(Format x, Format param) {
  ref::NormProblem p;
  p.x_format = x;
  p.param_format = param;
  p.y_format = x;
  p.rows = 2;
  p.n = 3;
  p.eps = 0x1.4f8b58p-17;  // in the eps table
  p.x = {1.0, -0.375, std::numeric_limits<double>::infinity(), 0x1p-14, -0.0, 65504.0};
  p.residual = {0.5, 0.5, 0.5, -1.0, 2.0, 0.0};
  p.gamma = {1.0, 2.0, -0.5};
  p.beta = {0.0, 0.25, -0.0};
  return p;
}

void expect_same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(std::memcmp(&a[i], &b[i], sizeof(double)), 0) << "at " << i;
}

TEST(FuzzInput, SeedRoundTripIsExactInTheCaseFormats) {
  const auto problem = sample_problem(Format::f16, Format::f32);
  const auto bytes = encode_input(from_problem(problem));
  harness::KernelShape shape;
  shape.x_format = Format::f16;
  shape.y_format = Format::f16;
  shape.fused = true;
  const auto decoded = decode_input(bytes.data(), bytes.size(), shape);
  ASSERT_TRUE(decoded);
  const auto back = to_problem(*decoded, shape);
  EXPECT_EQ(back.rows, 2);
  EXPECT_EQ(back.n, 3);
  EXPECT_EQ(back.eps, problem.eps);
  expect_same_bits(back.x, problem.x);
  expect_same_bits(back.residual, problem.residual);
  expect_same_bits(back.gamma, problem.gamma);
  expect_same_bits(back.beta, problem.beta);
}

TEST(FuzzInput, ANonFusedKernelSkipsTheResidualBytes) {
  const auto problem = sample_problem(Format::f32, Format::f32);
  const auto bytes = encode_input(from_problem(problem));
  const auto decoded = decode_input(bytes.data(), bytes.size(), f32_layernorm(false));
  ASSERT_TRUE(decoded);
  const auto back = to_problem(*decoded, f32_layernorm(false));
  EXPECT_TRUE(back.residual.empty());
  expect_same_bits(back.gamma, problem.gamma);  // read after the skipped residual
}

TEST(FuzzInput, OtherStorageFormatsRoundToTheKernelsDtype) {
  auto problem = sample_problem(Format::f32, Format::f32);
  problem.x[0] = 1.0 + 0x1p-11;  // halfway between two f16 values: ties to even, 1.0
  problem.x[5] = 1e6;            // beyond f16: overflows to inf
  const auto bytes = encode_input(from_problem(problem));
  harness::KernelShape f16;
  f16.x_format = Format::f16;
  f16.y_format = Format::f16;
  const auto back = to_problem(*decode_input(bytes.data(), bytes.size(), f16), f16);
  EXPECT_EQ(back.x[0], 1.0);
  EXPECT_EQ(back.x[5], std::numeric_limits<double>::infinity());
  EXPECT_EQ(back.x_format, Format::f16);
}

TEST(FuzzInput, ShortInputsShrinkTheShape) {
  std::vector<std::uint8_t> bytes(kHeaderBytes, 0);
  bytes[2] = 3;     // 4 rows
  bytes[3] = 0xFF;  // n = 256
  EXPECT_FALSE(decode_input(bytes.data(), bytes.size(), f32_layernorm()));  // no element at all
  bytes.resize(kHeaderBytes + 4 * 4 * 5, 0);  // 5 columns of 4 rows
  auto in = decode_input(bytes.data(), bytes.size(), f32_layernorm());
  ASSERT_TRUE(in);
  EXPECT_EQ(in->rows, 4);
  EXPECT_EQ(in->n, 5);
  bytes.resize(kHeaderBytes + 4 * 3, 0);  // less than one column of 4 rows: one row
  in = decode_input(bytes.data(), bytes.size(), f32_layernorm());
  ASSERT_TRUE(in);
  EXPECT_EQ(in->rows, 1);
  EXPECT_EQ(in->n, 3);
}

TEST(FuzzInput, HeaderFieldsAreBounded) {
  std::vector<std::uint8_t> bytes(kHeaderBytes + 8 * kMaxN * kMaxRows, 0xFF);
  const auto in = decode_input(bytes.data(), bytes.size(), f32_layernorm(true));
  ASSERT_TRUE(in);
  EXPECT_LE(in->rows, kMaxRows);
  EXPECT_LE(in->n, kMaxN);
  EXPECT_EQ(in->x.size(), static_cast<std::size_t>(in->rows * in->n));
}

TEST(FuzzInput, EpsIsAlwaysFiniteAndNonNegative) {
  FuzzInput in;
  in.eps_choice = 0xFF;
  in.eps_bits = 0xBF80'0000u;  // -1.0f: the sign is ignored
  EXPECT_EQ(input_eps(in), 1.0);
  in.eps_bits = 0x7FC0'0000u;  // NaN
  EXPECT_EQ(input_eps(in), 0.0);
  in.eps_bits = 0x7F80'0000u;  // inf
  EXPECT_EQ(input_eps(in), static_cast<double>(std::numeric_limits<float>::max()));
  in.eps_choice = 6;
  EXPECT_EQ(input_eps(in), 0x1p-25);
  set_input_eps(in, 0x1p-30);  // not in the table: explicit f32
  EXPECT_EQ(in.eps_choice, 0xFF);
  EXPECT_EQ(input_eps(in), 0x1p-30);
}

}  // namespace
}  // namespace normcheck::fuzz
