// The problem generator: every case valid for its shape, the regime mix present, and
// the checker's case stream reproducible from (kernel, seed, index).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <map>
#include <functional>
#include <set>

#include "properties/case_source.hpp"
#include "properties/problem_gen.hpp"
#include "tests/support/greedy_shrink.hpp"
#include "tests/support/test_kernels.hpp"

namespace normcheck::props {
namespace {

using ref::Format;

bool same_values(const std::vector<double>& u, const std::vector<double>& v) {
  if (u.size() != v.size()) return false;
  for (std::size_t i = 0; i < u.size(); ++i)
    if (!(u[i] == v[i] || (std::isnan(u[i]) && std::isnan(v[i])))) return false;
  return true;
}

std::vector<ProblemShape> shapes() {
  std::vector<ProblemShape> out;
  for (Format x : {Format::f16, Format::bf16, Format::f32, Format::f64}) {
    for (ref::Op op : {ref::Op::layernorm, ref::Op::rmsnorm}) {
      ProblemShape s;
      s.op = op;
      s.x_format = x;
      s.param_format = x == Format::f64 ? Format::f64 : Format::f32;
      s.y_format = x;
      s.fused = x == Format::f16;
      s.residual_sum = op == ref::Op::rmsnorm ? ref::ResidualSum::rounded : ref::ResidualSum::exact;
      out.push_back(s);
    }
  }
  return out;
}

bool all_representable(Format format, const std::vector<double>& values) {
  for (double v : values)
    if (!ref::is_representable(format, v)) return false;
  return true;
}

RC_GTEST_PROP(Generator, ProblemsAreValidForTheirShape, ()) {
  const auto shape = *rc::gen::elementOf(shapes());
  const auto g = *gen_problem(shape);
  const auto& p = g.problem;
  RC_CLASSIFY(true, regime_name(g.regime));
  RC_ASSERT(p.op == shape.op);
  RC_ASSERT(p.x_format == shape.x_format);
  RC_ASSERT(p.rows >= 1);
  RC_ASSERT(p.n >= 1);
  RC_CLASSIFY(true, scale_name(g.scale));
  RC_ASSERT(p.n <= harness::kMaxGeneratedN);
  RC_ASSERT(p.rows <= harness::kMaxGeneratedRows);
  RC_ASSERT(p.rows * p.n <= harness::kMaxGeneratedElements);
  RC_ASSERT(p.x.size() == static_cast<std::size_t>(p.rows * p.n));
  RC_ASSERT(p.gamma.empty() || p.gamma.size() == static_cast<std::size_t>(p.n));
  RC_ASSERT(p.beta.empty() || p.beta.size() == static_cast<std::size_t>(p.n));
  RC_ASSERT(p.residual.empty() || p.residual.size() == p.x.size());
  RC_ASSERT(shape.fused || p.residual.empty());
  RC_ASSERT(all_representable(p.x_format, p.x));
  RC_ASSERT(all_representable(p.x_format, p.residual));
  RC_ASSERT(all_representable(p.param_format, p.gamma));
  RC_ASSERT(all_representable(p.param_format, p.beta));
  RC_ASSERT(p.eps >= 0.0);
  RC_ASSERT(ref::is_representable(Format::f32, p.eps));  // the default eps policy
}

// The checker relies on the mix, so it is measured, not assumed: every regime, large and
// tiny n, multi-row batches, eps = 0 and below fp16's smallest subnormal, parameters
// absent and present, non-finite values.
TEST(Generator, StreamCoversTheRegimesAndShapes) {
  const auto source = make_case_source();
  const auto kernel = testing::oracle_kernel();
  std::map<std::string, int> regimes;
  int large_n = 0, multi_row = 0, eps_zero = 0, eps_below_f16 = 0, no_params = 0, gamma_only = 0,
      nonfinite = 0, small_n = 0;
  constexpr int kCases = 3000;
  for (int i = 0; i < kCases; ++i) {
    const auto c = source(kernel, 7, i);
    const auto& p = c.problem;
    ++regimes[c.regime];
    large_n += p.n >= 513;
    small_n += p.n <= 8;
    multi_row += p.rows > 1;
    eps_zero += p.eps == 0.0;
    eps_below_f16 += p.eps > 0.0 && p.eps < 0x1p-24;
    no_params += p.gamma.empty() && p.beta.empty();
    gamma_only += !p.gamma.empty() && p.beta.empty();
    for (double v : p.x) {
      if (!std::isfinite(v)) {
        ++nonfinite;
        break;
      }
    }
  }
  for (const auto& [name, count] : regimes) std::printf("  %-24s %5d\n", name.c_str(), count);
  EXPECT_EQ(regimes.size(), static_cast<std::size_t>(kRegimeCount));
  EXPECT_GT(small_n, kCases / 3) << "small n must dominate, for fast checks and shrinking";
  EXPECT_GT(large_n, 0);
  EXPECT_GT(multi_row, kCases / 10);
  EXPECT_GT(eps_zero, 0);
  EXPECT_GT(eps_below_f16, 0);
  EXPECT_GT(no_params, 0);
  EXPECT_GT(gamma_only, 0);
  EXPECT_GT(nonfinite, 0);
}

// Large batches and long rows are a small part of the stream, but it reaches the largest
// batch and row, every strategy-switch batch size and the lengths around the powers of
// two, and the rows of a large batch are not all alike (a tiling bug that hands a row
// another row's statistics must show).
TEST(Generator, StreamReachesLargeBatchesAndLongRows) {
  const auto source = make_case_source();
  const auto kernel = testing::oracle_kernel();
  std::set<std::int64_t> rows_seen, n_seen;
  int small = 0, large = 0, distinct_rows_from_24 = 0;
  std::int64_t max_rows = 0, max_n = 0, max_elements = 0;
  constexpr int kCases = 4000;
  for (int i = 0; i < kCases; ++i) {
    const auto& p = source(kernel, 7, i).problem;
    rows_seen.insert(p.rows);
    n_seen.insert(p.n);
    max_rows = std::max(max_rows, p.rows);
    max_n = std::max(max_n, p.n);
    max_elements = std::max(max_elements, p.rows * p.n);
    const bool is_large = p.rows > 8 || p.n > 4097;
    (is_large ? large : small) += 1;
    if (p.rows >= 25) {
      const auto row = [&p](std::int64_t r) {
        return std::vector<double>(p.x.begin() + r * p.n, p.x.begin() + (r + 1) * p.n);
      };
      distinct_rows_from_24 += !same_values(row(24), row(8));
    }
  }
  std::printf("  small %d, large %d; largest batch %lld, longest row %lld, most elements %lld\n", small, large,
              static_cast<long long>(max_rows), static_cast<long long>(max_n), static_cast<long long>(max_elements));
  EXPECT_EQ(max_rows, harness::kMaxGeneratedRows);
  EXPECT_EQ(max_n, harness::kMaxGeneratedN);
  EXPECT_LE(max_elements, harness::kMaxGeneratedElements);
  EXPECT_GT(small, kCases * 8 / 10) << "small cases must dominate, for a fast gate";
  EXPECT_GT(large, kCases / 20);
  for (const std::int64_t rows : harness::kStrategySwitchBatchSizes) EXPECT_TRUE(rows_seen.count(rows)) << rows << " rows";
  for (const std::int64_t n : {2047, 2048, 2049, 4097, 8193, 16385, 32769, 65535, 65536})
    EXPECT_TRUE(n_seen.count(n)) << "n = " << n;
  EXPECT_GT(distinct_rows_from_24, 0);
}

// Shrinking goes through the structure: a large case that fails only for its size
// shrinks, by RapidCheck's own search, to the smallest size that still fails.
TEST(Generator, LargeCasesShrinkToTheSizeTheFailureNeeds) {
  ProblemShape shape;
  shape.x_format = Format::f16;
  shape.y_format = Format::f16;
  const auto gen = gen_problem(shape);
  // RapidCheck's greedy search (testing::greedy_shrink). The size is in the first choices
  // drawn, so it shrinks in the first steps; the values after it would take thousands more,
  // not needed here.
  const auto smallest = [&gen](const std::function<bool(const ref::NormProblem&)>& fails) {
    for (std::uint64_t key = 0;; ++key) {  // the first drawn case that fails
      auto current = gen(rc::Random(rc::Random::Key{key, 1, 2, 3}), rc::kNominalSize);
      if (!fails(current.value().problem)) continue;
      return testing::greedy_shrink(current, [&fails](const GeneratedProblem& g) { return fails(g.problem); })
          .value()
          .problem;
    }
  };
  const auto batch = smallest([](const ref::NormProblem& p) { return p.rows >= 25; });
  // The smallest batch of its choice that fails: 25 from the uniform sizes, 31 from the
  // strategy-switch sizes, 31 or 33 from those around the powers of two.
  EXPECT_GE(batch.rows, 25);
  EXPECT_LE(batch.rows, 33);
  EXPECT_EQ(batch.n, 1);
  const auto row = smallest([](const ref::NormProblem& p) { return p.n > 2048; });
  EXPECT_EQ(row.rows, 1);
  EXPECT_EQ(row.n, 2049);
}

bool same_problem(const ref::NormProblem& a, const ref::NormProblem& b) {
  auto same = [](const std::vector<double>& u, const std::vector<double>& v) {
    if (u.size() != v.size()) return false;
    for (std::size_t i = 0; i < u.size(); ++i)
      if (!(u[i] == v[i] || (std::isnan(u[i]) && std::isnan(v[i])))) return false;
    return true;
  };
  return a.rows == b.rows && a.n == b.n && a.eps == b.eps && same(a.x, b.x) && same(a.gamma, b.gamma) &&
         same(a.beta, b.beta) && same(a.residual, b.residual);
}

TEST(CaseSource, SameSeedAndIndexGiveTheSameCase) {
  const auto source = make_case_source();
  const auto kernel = testing::oracle_kernel();
  int differing = 0;
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE(same_problem(source(kernel, 42, i).problem, source(kernel, 42, i).problem));
    differing += !same_problem(source(kernel, 42, i).problem, source(kernel, 43, i).problem);
  }
  EXPECT_GT(differing, 40) << "another seed must give another stream";
}

}  // namespace
}  // namespace normcheck::props
