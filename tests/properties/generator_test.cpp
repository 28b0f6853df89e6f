// The problem generator: every case valid for its shape, the regime mix present, and
// the checker's case stream reproducible from (kernel, seed, index).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "properties/case_source.hpp"
#include "properties/problem_gen.hpp"
#include "tests/support/test_kernels.hpp"

namespace normcheck::props {
namespace {

using ref::Format;

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
  RC_ASSERT(p.n <= 4097);
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
