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
  // Raw: every flag but the pattern bit, the largest shape bytes.
  std::vector<std::uint8_t> bytes(kHeaderBytes + 8 * kMaxRawN * (2 * kMaxRawRows + 2), 0xFF);
  bytes[0] = kFlagGamma | kFlagBeta | kFlagResidual;
  auto in = decode_input(bytes.data(), bytes.size(), f32_layernorm(true));
  ASSERT_TRUE(in);
  EXPECT_FALSE(in->pattern);
  EXPECT_EQ(in->rows, kMaxElements / kMaxRawN) << "256 rows of 4096 are cut to the element bound";
  EXPECT_EQ(in->n, kMaxRawN);
  EXPECT_EQ(in->x.size(), static_cast<std::size_t>(in->rows * in->n));
  // Pattern: 4096 rows asked of rows of 65,536 are cut to the element bound.
  bytes.assign(4096, 0xFF);
  in = decode_input(bytes.data(), bytes.size(), f32_layernorm(true));
  ASSERT_TRUE(in);
  ASSERT_TRUE(in->pattern);
  EXPECT_EQ(in->n, kMaxN);
  EXPECT_EQ(in->rows, kMaxElements / kMaxN);
  EXPECT_EQ(in->x.size(), kMaxMotif);
  EXPECT_LE(in->pattern->perturbations.size(), kMaxPerturbations);
  EXPECT_EQ(to_problem(*in, f32_layernorm(true)).x.size(), static_cast<std::size_t>(kMaxElements));
}

// A pattern input of a few hundred bytes: a batch of 4096 rows of 64, its rows unlike
// each other, round-tripped exactly.
FuzzInput batch_pattern(Expansion expansion, std::uint8_t step) {
  FuzzInput in;
  in.x_storage = Format::f16;
  in.param_storage = Format::f32;
  in.rows = 4096;
  in.n = 64;
  for (int i = 0; i < 16; ++i) in.x.push_back(ref::to_bits(Format::f16, std::ldexp(1.0 + i / 16.0, i % 5 - 2)));
  in.gamma.assign(16, ref::to_bits(Format::f32, 1.5));
  in.pattern = RowPattern{expansion, step, {{PatternTarget::x, 24 * 64 + 3, ref::to_bits(Format::f16, -7.0)},
                                            {PatternTarget::gamma, 70, ref::to_bits(Format::f32, 0.25)}}};
  in.flags = kFlagPattern | kFlagGamma;
  return in;
}

harness::KernelShape f16_layernorm() {
  harness::KernelShape s;
  s.x_format = Format::f16;
  s.y_format = Format::f16;
  return s;
}

TEST(FuzzInput, APatternDescribesALargeBatchInAFewHundredBytes) {
  for (const Expansion expansion : {Expansion::repeat, Expansion::interpolate, Expansion::hashed}) {
    const FuzzInput in = batch_pattern(expansion, 5);
    const auto bytes = encode_input(in);
    EXPECT_LT(bytes.size(), 200u);
    const auto decoded = decode_input(bytes.data(), bytes.size(), f16_layernorm());
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->pattern, in.pattern);
    EXPECT_EQ(decoded->x, in.x);
    EXPECT_EQ(decoded->gamma, in.gamma);
    EXPECT_EQ(decoded->rows, 4096);
    EXPECT_EQ(decoded->n, 64);
    const auto p = to_problem(*decoded, f16_layernorm());
    ASSERT_EQ(p.x.size(), 4096u * 64u);
    ASSERT_EQ(p.gamma.size(), 64u);
    EXPECT_EQ(p.x[24 * 64 + 3], -7.0) << "the perturbation";
    EXPECT_EQ(p.gamma[70 % 64], 0.25) << "an index beyond the array wraps";
    const auto row = [&p](std::size_t r) { return std::vector<double>(p.x.begin() + r * 64, p.x.begin() + (r + 1) * 64); };
    EXPECT_NE(row(40), row(24)) << "rows differ (step 5)";
  }
}

TEST(FuzzInput, EachExpansionRule) {
  const auto x_of = [](Expansion expansion, std::uint8_t step) {
    return to_problem(batch_pattern(expansion, step), f16_layernorm()).x;
  };
  const auto motif = [](int i) { return std::ldexp(1.0 + i / 16.0, i % 5 - 2); };
  // Repeat: motif[(c + r * step) % m].
  const auto repeat = x_of(Expansion::repeat, 3);
  EXPECT_EQ(repeat[0], motif(0));
  EXPECT_EQ(repeat[17], motif(1));
  EXPECT_EQ(repeat[64 + 0], motif(3));
  // Interpolate: the motif's values at their positions, values between them in between.
  const auto smooth = x_of(Expansion::interpolate, 0);
  EXPECT_EQ(smooth[0], motif(0));
  EXPECT_EQ(smooth[63], motif(15));
  EXPECT_EQ(smooth[21], motif(5));  // 21 * 15 / 63 = 5 exactly
  const double between = smooth[1];
  EXPECT_GT(between, std::min(motif(0), motif(1)));
  EXPECT_LT(between, std::max(motif(0), motif(1)));
  // Hashed: no period, and another salt gives another row.
  const auto hashed = x_of(Expansion::hashed, 1);
  EXPECT_NE(std::vector<double>(hashed.begin(), hashed.begin() + 16), std::vector<double>(hashed.begin() + 16, hashed.begin() + 32));
  EXPECT_NE(x_of(Expansion::hashed, 2), hashed);
}

TEST(FuzzInput, AShortPatternShortensItsMotifAndDropsPerturbations) {
  auto bytes = encode_input(batch_pattern(Expansion::hashed, 0));
  // The header, 3 x values and 3 gamma values: a motif of 3, no room for perturbations.
  bytes.resize(kPatternHeaderBytes + 3 * (2 + 4));
  const auto in = decode_input(bytes.data(), bytes.size(), f16_layernorm());
  ASSERT_TRUE(in);
  EXPECT_EQ(in->x.size(), 3u);
  EXPECT_EQ(in->gamma.size(), 3u);
  EXPECT_TRUE(in->pattern->perturbations.empty());
  bytes.resize(kPatternHeaderBytes + 5);  // less than one motif position
  EXPECT_FALSE(decode_input(bytes.data(), bytes.size(), f16_layernorm()));
}

TEST(FuzzInput, ALargeCaseBecomesAPatternOfItsShape) {
  ref::NormProblem p = sample_problem(Format::f32, Format::f32);
  p.rows = 1;
  p.n = 5000;  // beyond the raw layout
  p.x.assign(5000, 0.5);
  p.x[3] = 2.0;
  p.residual.clear();
  p.gamma.assign(5000, 1.0);
  p.beta.clear();
  const FuzzInput in = from_problem(p);
  ASSERT_TRUE(in.pattern);
  EXPECT_EQ(in.rows, 1);
  EXPECT_EQ(in.n, 5000);
  EXPECT_EQ(in.x.size(), kMaxMotif);
  EXPECT_EQ(in.x[3], ref::to_bits(Format::f32, 2.0));
  // A batch of 25 rows of one value is small enough to be written out exactly.
  p.rows = 25;
  p.n = 1;
  p.x.assign(25, 1.0);
  p.x[24] = 3.0;
  p.gamma.assign(1, 1.0);
  const FuzzInput small = from_problem(p);
  EXPECT_FALSE(small.pattern);
  EXPECT_EQ(small.rows, 25);
  EXPECT_EQ(small.x.back(), ref::to_bits(Format::f32, 3.0));
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
