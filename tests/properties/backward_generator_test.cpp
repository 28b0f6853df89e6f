// The backward problem generator: every problem well-formed for the shapes the backward
// kernels use, the dy regimes and the large batches present, orthogonal dy really
// orthogonal to xhat, shrinking to small cases, and the oracle accepting what it draws.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "harness/case.hpp"
#include "properties/backward_problem_gen.hpp"
#include "reference/backward_oracle.hpp"
#include "tests/support/greedy_shrink.hpp"

namespace normcheck::props {
namespace {

using ref::Format;
using ref::Op;

// The op and dtype combinations of the backward kernels.
std::vector<BackwardShape> shapes() {
  return {{Op::layernorm, Format::f32, Format::f32, Format::f32}, {Op::layernorm, Format::f16, Format::f32, Format::f16},
          {Op::layernorm, Format::bf16, Format::f32, Format::bf16}, {Op::layernorm, Format::f64, Format::f64, Format::f64},
          {Op::rmsnorm, Format::f32, Format::f32, Format::f32},     {Op::rmsnorm, Format::bf16, Format::f32, Format::bf16}};
}

std::string shape_name(const BackwardShape& s) {
  return std::string(ref::op_name(s.op)) + " " + std::string(ref::format_name(s.x_format)) + "/" +
         std::string(ref::format_name(s.param_format)) + "/" + std::string(ref::format_name(s.dy_format));
}

bool all_representable(Format format, const std::vector<double>& values) {
  for (double v : values)
    if (!ref::is_representable(format, v)) return false;
  return true;
}

// The i-th problem of a fixed stream of the shape.
GeneratedBackwardProblem draw(const rc::Gen<GeneratedBackwardProblem>& gen, std::uint64_t i) {
  return gen(rc::Random(rc::Random::Key{i, 11, 12, 13}), rc::kNominalSize).value();
}

RC_GTEST_PROP(BackwardGenerator, ProblemsAreWellFormedForTheirShape, ()) {
  const auto shape = *rc::gen::elementOf(shapes());
  const auto g = *gen_backward_problem(shape);
  const auto& p = g.problem;
  RC_CLASSIFY(true, backward_regime_name(g.dy_regime));
  RC_ASSERT(p.op == shape.op);
  RC_ASSERT(p.x_format == shape.x_format);
  RC_ASSERT(p.param_format == shape.param_format);
  RC_ASSERT(p.dy_format == shape.dy_format);
  RC_ASSERT(p.rows >= 1);
  RC_ASSERT(p.n >= 1);
  RC_ASSERT(p.rows <= harness::kMaxGeneratedRows);
  RC_ASSERT(p.n <= harness::kMaxGeneratedN);
  RC_ASSERT(p.rows * p.n <= harness::kMaxGeneratedElements);
  RC_ASSERT(p.x.size() == static_cast<std::size_t>(p.rows * p.n));
  RC_ASSERT(p.dy.size() == p.x.size());
  RC_ASSERT(p.gamma.empty() || p.gamma.size() == static_cast<std::size_t>(p.n));
  RC_ASSERT(all_representable(p.x_format, p.x));
  RC_ASSERT(all_representable(p.dy_format, p.dy));
  RC_ASSERT(all_representable(p.param_format, p.gamma));
  RC_ASSERT(p.eps >= 0.0);
  RC_ASSERT(ref::is_representable(Format::f32, p.eps));  // the default eps policy
}

// The mix is measured, not assumed: every dy regime with a real share (the weights are 8 %
// or more), ordinary dy the most common, every forward regime of x, multi-row batches and a
// share of thousands of rows, most cases small.
TEST(BackwardGenerator, StreamCoversTheRegimesAndBatches) {
  const auto gen = gen_backward_problem({Op::layernorm, Format::f16, Format::f32, Format::f16});
  std::map<DyRegime, int> dy_regimes;
  std::map<Regime, int> x_regimes;
  int thousands = 0, around_blocks = 0, small = 0, gamma_present = 0, dy_nonfinite = 0;
  constexpr int kCases = 2000;
  for (int i = 0; i < kCases; ++i) {
    const auto g = draw(gen, static_cast<std::uint64_t>(i));
    const auto& p = g.problem;
    ++dy_regimes[g.dy_regime];
    ++x_regimes[g.x_regime];
    thousands += p.rows >= 1000;
    around_blocks += (p.rows >= 31 && p.rows <= 33) || (p.rows >= 63 && p.rows <= 65) ||
                     (p.rows >= 127 && p.rows <= 129) || (p.rows >= 255 && p.rows <= 257);
    small += p.rows <= 8 && p.n <= 64;
    gamma_present += !p.gamma.empty();
    for (double v : p.dy) {
      if (!std::isfinite(v)) {
        ++dy_nonfinite;
        break;
      }
    }
  }
  for (const auto& [regime, count] : dy_regimes)
    std::printf("  dy %-20s %5d\n", std::string(backward_regime_name(regime)).c_str(), count);
  std::printf("  rows >= 1000: %d, around block sizes: %d, small: %d of %d\n", thousands, around_blocks, small, kCases);
  EXPECT_EQ(dy_regimes.size(), static_cast<std::size_t>(kDyRegimeCount));
  for (const auto& [regime, count] : dy_regimes) {
    EXPECT_GT(count, kCases / 25) << backward_regime_name(regime);
    if (regime != DyRegime::ordinary) {
      EXPECT_LT(count, dy_regimes[DyRegime::ordinary]) << backward_regime_name(regime);
    }
  }
  EXPECT_EQ(x_regimes.size(), static_cast<std::size_t>(kRegimeCount));
  EXPECT_GT(thousands, kCases * 3 / 100);
  EXPECT_GT(around_blocks, kCases * 3 / 100);
  EXPECT_GT(small, kCases / 2) << "small cases must dominate, for fast checks and shrinking";
  EXPECT_GT(gamma_present, kCases / 5);
  EXPECT_GE(dy_nonfinite, dy_regimes[DyRegime::nonfinite]);
}

// Orthogonal dy: for each finite row, sum_i dy_i xhat_i is zero before dy was rounded, so
// what is left is at most dy's rounding: half an ulp of each |dy_i| (or of the smallest
// subnormal) times |xhat_i|, plus this test's own rounding. xhat in long double from x (up
// to the factor rstd, which scales both sides); for f16 and bf16 the sums are exact in long double, and a good share
// of rows' sums is then exactly zero (all of RMSNorm's nearly: its pairs need no difference;
// LayerNorm's triples need differences of x, which the format holds for neighbours of one
// binade, not across binades or zero).
TEST(BackwardGenerator, OrthogonalDyCancelsAgainstXhat) {
  for (const auto& shape : shapes()) {
    const auto gen = gen_backward_problem(shape);
    const auto& t = ref::traits(shape.dy_format);
    const long double u = std::ldexp(1.0L, -t.precision);
    const long double underflow = std::ldexp(1.0L, t.emin - t.precision);
    const bool exact_sums = shape.x_format == Format::f16 || shape.x_format == Format::bf16;
    int cases = 0, rows_checked = 0, rows_exact = 0, rows_cancelling = 0;
    for (std::uint64_t i = 0; cases < 100; ++i) {
      const auto g = draw(gen, i);
      if (g.dy_regime != DyRegime::orthogonal_to_xhat) continue;
      ++cases;
      const auto& p = g.problem;
      const auto n = static_cast<std::size_t>(p.n);
      for (std::size_t r = 0; r < static_cast<std::size_t>(p.rows); ++r) {
        const double* x = p.x.data() + r * n;
        const double* dy = p.dy.data() + r * n;
        bool finite = true;
        long double mean = 0.0L;
        for (std::size_t i2 = 0; i2 < n; ++i2) {
          finite = finite && std::isfinite(x[i2]);
          mean += x[i2];
        }
        if (!finite) continue;
        mean = shape.op == Op::layernorm ? mean / static_cast<long double>(n) : 0.0L;
        long double sum = 0.0L, sum_abs = 0.0L, allowed = 0.0L, dy_sum = 0.0L, dy_x = 0.0L;
        for (std::size_t i2 = 0; i2 < n; ++i2) {
          const long double xhat = static_cast<long double>(x[i2]) - mean;
          const long double term = static_cast<long double>(dy[i2]) * xhat;
          sum += term;
          sum_abs += std::fabs(term);
          // dy's rounding, and this evaluation's (x - mean and the product, in long double).
          allowed += (u * std::fabs(static_cast<long double>(dy[i2])) + underflow) * std::fabs(xhat) +
                     0x1p-62L * std::fabs(static_cast<long double>(dy[i2])) * (std::fabs(x[i2]) + std::fabs(mean));
          dy_sum += dy[i2];
          dy_x += static_cast<long double>(dy[i2]) * x[i2];
        }
        if (sum_abs == 0.0L) continue;  // a constant row: xhat is 0
        ++rows_checked;
        EXPECT_LE(std::fabs(sum), 1.01L * allowed)
            << shape_name(shape) << " case " << i << " row " << r << ": sum " << static_cast<double>(sum)
            << " of |terms| " << static_cast<double>(sum_abs);
        rows_cancelling += std::fabs(sum) <= 0x1p-6L * sum_abs;
        // Exactly zero: sum dy x = 0 (and, for LayerNorm, sum dy = 0), exact in long double here.
        rows_exact += exact_sums && dy_x == 0.0L && (shape.op == Op::rmsnorm || dy_sum == 0.0L);
      }
    }
    std::printf("  %-24s rows checked %5d, cancelling %5d, exactly zero %5d\n", shape_name(shape).c_str(),
                rows_checked, rows_cancelling, rows_exact);
    EXPECT_GT(rows_checked, 50) << shape_name(shape);
    EXPECT_GT(rows_cancelling, rows_checked * 9 / 10) << shape_name(shape);
    if (exact_sums) {
      EXPECT_GT(rows_exact, shape.op == Op::rmsnorm ? rows_checked * 9 / 10 : rows_checked / 5) << shape_name(shape);
    }
  }
}

// Shrinking goes through the structure: a case that fails only for having more than 40
// rows shrinks, by RapidCheck's own search, to a small one: rows just above 40 (41 from the
// uniform batch sizes, 63 or 64 from the block and strategy-switch sizes) of one value,
// ordinary x and dy.
TEST(BackwardGenerator, ManyRowCasesShrinkToTheSizeTheFailureNeeds) {
  const auto gen = gen_backward_problem({Op::layernorm, Format::bf16, Format::f32, Format::bf16});
  const auto fails = [](const GeneratedBackwardProblem& g) { return g.problem.rows > 40; };
  std::int64_t fewest = harness::kMaxGeneratedRows;
  int shrunk = 0;
  for (std::uint64_t key = 0; shrunk < 6; ++key) {  // the first drawn cases that fail
    const auto current = gen(rc::Random(rc::Random::Key{key, 1, 2, 3}), rc::kNominalSize);
    if (!fails(current.value())) continue;
    ++shrunk;
    const auto g = testing::greedy_shrink(current, fails).value();  // RapidCheck's own search
    std::printf("  key %llu shrunk to %lld rows of %lld, x %s, dy %s\n", static_cast<unsigned long long>(key),
                static_cast<long long>(g.problem.rows), static_cast<long long>(g.problem.n),
                std::string(regime_name(g.x_regime)).c_str(), std::string(backward_regime_name(g.dy_regime)).c_str());
    fewest = std::min(fewest, g.problem.rows);
    EXPECT_GT(g.problem.rows, 40);
    EXPECT_LE(g.problem.rows, 65);
    EXPECT_EQ(g.problem.n, 1);
    EXPECT_EQ(g.dy_regime, DyRegime::ordinary);
    EXPECT_EQ(g.x_regime, Regime::ordinary);
  }
  EXPECT_EQ(fewest, 41);
}

// The oracle takes every generated problem (representable values, consistent lengths,
// eps >= 0), whatever the regime: special values, overflow and underflow included.
TEST(BackwardGenerator, OracleRunsOnGeneratedProblems) {
  std::map<std::string, int> seen;
  for (const auto& shape : shapes()) {
    const auto gen = gen_backward_problem(shape);
    for (std::uint64_t i = 0; i < 50; ++i) {
      const auto g = draw(gen, 1000 + i);
      ++seen[std::string(backward_regime_name(g.dy_regime))];
      ref::BackwardOracleResult result;
      EXPECT_NO_THROW(result = ref::compute_backward_oracle(g.problem)) << shape_name(shape) << " case " << i;
      EXPECT_EQ(result.dx.size(), g.problem.x.size());
      EXPECT_EQ(result.dgamma.size(), static_cast<std::size_t>(g.problem.n));
    }
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kDyRegimeCount));
}

// A counterexample prints as a backward case file that reads back as the same problem.
TEST(BackwardGenerator, ShowValueIsABackwardCaseFile) {
  const auto gen = gen_backward_problem({Op::rmsnorm, Format::bf16, Format::f32, Format::bf16});
  for (std::uint64_t i = 0; i < 20; ++i) {
    const auto g = draw(gen, i);
    std::ostringstream os;
    showValue(g, os);
    const auto c = harness::parse_case(os.str(), "generated");
    ASSERT_EQ(c.direction, harness::Direction::backward);
    const auto p = harness::backward_problem(c);
    EXPECT_EQ(p.op, g.problem.op);
    EXPECT_EQ(p.dy_format, g.problem.dy_format);
    EXPECT_EQ(p.rows, g.problem.rows);
    EXPECT_EQ(p.n, g.problem.n);
    EXPECT_EQ(p.eps, g.problem.eps);
    EXPECT_EQ(p.x.size(), g.problem.x.size());
    EXPECT_EQ(p.dy.size(), g.problem.dy.size());
    EXPECT_EQ(p.gamma.size(), g.problem.gamma.size());
  }
}

TEST(BackwardGenerator, ShapeOfABackwardKernel) {
  normcheck_backward_kernel kernel{};
  kernel.op = NORMCHECK_RMSNORM;
  kernel.x_dtype = NORMCHECK_BF16;
  kernel.param_dtype = NORMCHECK_F32;
  kernel.y_dtype = NORMCHECK_F16;
  const auto shape = backward_shape_of(kernel);
  EXPECT_EQ(shape.op, Op::rmsnorm);
  EXPECT_EQ(shape.x_format, Format::bf16);
  EXPECT_EQ(shape.param_format, Format::f32);
  EXPECT_EQ(shape.dy_format, Format::f16);
}

}  // namespace
}  // namespace normcheck::props
