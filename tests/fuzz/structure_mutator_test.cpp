// Tests of the structure-aware mutator: every mutation keeps the input decodable and in
// bounds, all of them get chosen, and size limits hold (fuzz/structure_mutator.hpp).
#include "fuzz/structure_mutator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>

#include "harness/case_scale.hpp"
#include "reference/format.hpp"

namespace normcheck::fuzz {
namespace {

using ref::Format;

FuzzInput start(const harness::KernelShape& shape) {
  ref::NormProblem p;
  p.x_format = shape.x_format;
  p.param_format = shape.param_format;
  p.rows = 2;
  p.n = 5;
  p.eps = 0x1.4f8b58p-17;
  p.x = {1, 2, 3, 4, 5, -1, 0.5, 0.25, 8, 16};
  if (shape.fused) p.residual.assign(10, 0.5);
  p.gamma = {1, 1, 2, 2, 0.5};
  FuzzInput in = from_problem(p);
  convert_storage(in, shape);
  return in;
}

void expect_consistent(const FuzzInput& in, const harness::KernelShape& shape) {
  ASSERT_GE(in.rows, 1);
  ASSERT_LE(in.rows, kMaxRows);
  ASSERT_GE(in.n, 1);
  ASSERT_LE(in.n, kMaxN);
  ASSERT_LE(in.rows * in.n, kMaxElements);
  if (in.pattern) {  // motifs of one length m, and an expansion that is a valid raw input
    const std::size_t m = in.x.size();
    ASSERT_GE(m, 1u);
    ASSERT_LE(m, kMaxMotif);
    ASSERT_TRUE(in.residual.empty() || in.residual.size() == m);
    ASSERT_TRUE(in.gamma.empty() || in.gamma.size() == m);
    ASSERT_TRUE(in.beta.empty() || in.beta.size() == m);
    ASSERT_LE(in.pattern->perturbations.size(), kMaxPerturbations);
    if (!shape.fused) {
      ASSERT_TRUE(in.residual.empty());
    }
    if (in.rows * in.n <= 4096) {  // larger expansions: fuzz_input_test (they cost ~1 ms each)
      const FuzzInput full = expanded(in);
      ASSERT_EQ(full.x.size(), static_cast<std::size_t>(in.rows * in.n));
      ASSERT_TRUE(full.gamma.empty() || full.gamma.size() == static_cast<std::size_t>(in.n));
    }
    return;
  }
  ASSERT_LE(in.rows, kMaxRawRows);
  ASSERT_LE(in.n, kMaxRawN);
  const auto cells = static_cast<std::size_t>(in.rows * in.n);
  ASSERT_EQ(in.x.size(), cells);
  ASSERT_TRUE(in.residual.empty() || in.residual.size() == cells);
  ASSERT_TRUE(in.gamma.empty() || in.gamma.size() == static_cast<std::size_t>(in.n));
  ASSERT_TRUE(in.beta.empty() || in.beta.size() == static_cast<std::size_t>(in.n));
  if (!shape.fused) {
    ASSERT_TRUE(in.residual.empty());
  }
  const auto eps = input_eps(in);
  ASSERT_TRUE(std::isfinite(eps) && eps >= 0);
}

class MutatorTest : public testing::TestWithParam<Format> {};

TEST_P(MutatorTest, MutationsKeepInputsValidAndReencodable) {
  harness::KernelShape shape;
  shape.x_format = GetParam();
  shape.y_format = GetParam();
  shape.fused = true;
  std::map<std::string, int> used;
  MutationRng rng(12345);
  FuzzInput in = start(shape);
  for (int i = 0; i < 3000; ++i) {
    if (i % 50 == 0) in = start(shape);  // keep shapes small and varied
    used[std::string(mutate_structure(in, shape, rng))]++;
    expect_consistent(in, shape);
    ASSERT_TRUE(shrink_to_fit(in, 4096));
    const auto bytes = encode_input(in);
    ASSERT_LE(bytes.size(), 4096u);
    const auto decoded = decode_input(bytes.data(), bytes.size(), shape);
    ASSERT_TRUE(decoded);
    ASSERT_EQ(decoded->x, in.x);
    ASSERT_EQ(decoded->residual, in.residual);
    ASSERT_EQ(decoded->gamma, in.gamma);
    ASSERT_EQ(decoded->beta, in.beta);
    ASSERT_EQ(decoded->pattern, in.pattern);
    ASSERT_EQ(decoded->rows, in.rows);
    ASSERT_EQ(decoded->n, in.n);
  }
  for (const char* name : {"flip-sign", "shift-exponent", "special-value", "constant-row", "large-offset",
                           "shrink-spread", "scale-row", "change-n", "change-rows", "copy-or-permute-row",
                           "change-eps", "change-params", "change-residual", "to-pattern", "change-batch",
                           "change-length", "change-expansion", "perturb", "change-motif", "to-raw"}) {
    EXPECT_GT(used[name], 0) << name << " never chosen";
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, MutatorTest, testing::Values(Format::f16, Format::bf16, Format::f32, Format::f64),
                         [](const testing::TestParamInfo<Format>& param) { return std::string(ref::format_name(param.param)); });

TEST(Mutator, LargeOffsetMakesTheMeanDominateTheSpread) {
  harness::KernelShape shape;
  MutationRng rng(7);
  int dominated = 0;
  for (int trial = 0; trial < 200; ++trial) {
    FuzzInput in = start(shape);
    in.rows = 1;
    in.x.resize(5);
    if (mutate_structure(in, shape, rng) != "large-offset") continue;
    double lo = INFINITY, hi = -INFINITY, mean = 0;
    for (auto b : in.x) {
      const double v = ref::from_bits(Format::f32, b);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      mean += v / 5;
    }
    if (std::fabs(mean) >= 4 * (hi - lo)) ++dominated;
  }
  EXPECT_GT(dominated, 0);
}

TEST(Mutator, CrossOverKeepsTheFirstShape) {
  harness::KernelShape shape;
  MutationRng rng(3);
  FuzzInput a = start(shape), b = start(shape);
  b.n = 2;
  b.x.resize(4);
  b.gamma.resize(2);
  for (int i = 0; i < 100; ++i) {
    const FuzzInput mixed = cross_over(a, b, rng);
    expect_consistent(mixed, shape);
    EXPECT_EQ(mixed.n, a.n);
  }
}

// From the small seeds, inputs of at most max_len bytes reach the largest batch and row,
// the strategy-switch batch sizes and the row lengths around powers of two, with rows
// that differ from one another.
TEST(Mutator, ReachesLargeBatchesAndLongRowsWithinMaxLen) {
  harness::KernelShape shape;
  shape.x_format = Format::f16;
  shape.y_format = Format::f16;
  MutationRng rng(99);
  FuzzInput in = start(shape);
  std::set<std::int64_t> rows_seen, n_seen;
  std::int64_t max_rows = 0, max_n = 0;
  int distinct_from_row_24 = 0;
  // Large shapes are rare by design (pattern_mutations.cpp, element_budget): many steps.
  for (int i = 0; i < 200000; ++i) {
    if (i % 2000 == 0) in = start(shape);
    mutate_structure(in, shape, rng);
    ASSERT_TRUE(shrink_to_fit(in, 4096));
    const auto bytes = encode_input(in);
    ASSERT_LE(bytes.size(), 4096u);
    rows_seen.insert(in.rows);
    n_seen.insert(in.n);
    max_rows = std::max(max_rows, in.rows);
    max_n = std::max(max_n, in.n);
    if (in.pattern && in.rows >= 25 && i % 200 == 0) {
      const FuzzInput full = expanded(in);
      const auto n = static_cast<std::ptrdiff_t>(in.n);
      distinct_from_row_24 += !std::equal(full.x.begin() + 24 * n, full.x.begin() + 25 * n, full.x.begin() + 8 * n);
    }
  }
  std::printf("  largest batch %lld, longest row %lld, %zu batch sizes, %zu lengths\n",
              static_cast<long long>(max_rows), static_cast<long long>(max_n), rows_seen.size(), n_seen.size());
  EXPECT_EQ(max_rows, kMaxRows);
  EXPECT_GT(max_n, kMaxN / 2);
  for (const std::int64_t rows : {1, 2, 7, 8, 24, 25, 31, 32, 33, 64}) EXPECT_TRUE(rows_seen.count(rows)) << rows;
  for (const std::int64_t n : {2048, 2049, 4097}) EXPECT_TRUE(n_seen.count(n)) << n;
  EXPECT_GT(distinct_from_row_24, 0);
}

// The shapes the mutations draw from: every strategy-switch batch size, and the row
// lengths around every power of two up to 65,536 (the mutator then cuts most of them
// back to a cheap size, and lets one in 32 through).
TEST(Mutator, ShapeChoicesCoverTheSwitchSizesAndPowersOfTwo) {
  MutationRng rng(5);
  std::set<std::int64_t> rows, n;
  for (int i = 0; i < 100000; ++i) {
    rows.insert(interesting_rows(rng, kMaxRows));
    n.insert(interesting_n(rng, kMaxN));
  }
  for (const std::int64_t size : harness::kStrategySwitchBatchSizes) EXPECT_TRUE(rows.count(size)) << size;
  for (int k = 1; k <= 16; ++k) {
    const std::int64_t p = std::int64_t{1} << k;
    for (const std::int64_t v : {p - 1, p, p + 1}) {
      if (v <= kMaxN) {
        EXPECT_TRUE(n.count(v)) << "n = " << v;
      }
    }
  }
  EXPECT_LE(*rows.rbegin(), kMaxRows);
  EXPECT_LE(*n.rbegin(), kMaxN);
}

TEST(Mutator, ShrinkToFitRespectsTheLimit) {
  harness::KernelShape shape;
  FuzzInput in = start(shape);
  MutationRng rng(1);
  while (in.n < 1000) mutate_structure(in, shape, rng);
  ASSERT_TRUE(shrink_to_fit(in, 256));
  EXPECT_LE(encode_input(in).size(), 256u);
  EXPECT_FALSE(shrink_to_fit(in, kHeaderBytes));
}

}  // namespace
}  // namespace normcheck::fuzz
