// Exhaustive at n = 2 (registered only with -DNORMCHECK_EXHAUSTIVE=ON): for f16 and bf16,
// LayerNorm and RMSNorm, gamma = 1 and beta = 0 (absent), y in the x format, every row
// (a, b) of the set below goes through the oracle's normal entry point and through its
// forced exact path, which must agree bit for bit in y, mean and rstd (NaN, infinities and
// signed zeros included), and in y_exact to the contract's tolerance.
//
// The set is every a (all 65536 bit patterns, NaNs and infinities included) and every b
// with its sign bit clear and |b| <= |a| (by magnitude bits): a quarter of the 2^32 pairs,
// because the rows it leaves out are images of rows it has under the symmetries of the
// problem and of the oracle's arithmetic:
// - swap, (a, b) -> (b, a): y swaps, mean and rstd stay. Both paths compute a row from the
//   exact integer sums of its scaled values (symmetric in the row) and each y_i from its own
//   deviation, so they see the same numbers in the other order.
// - negation, (a, b) -> (-a, -b) for LayerNorm, and either sign alone for RMSNorm: y_i and
//   mean change sign, rstd stays. The scaled values, sums and deviations change sign and
//   every rounding is to nearest even, which commutes with negation.
// Every orbit of these meets the set: of (a, b), (b, a), (-a, -b), (-b, -a), the one with the
// larger magnitude first and a non-negative second is in it. So that the reduction is not
// only argued, each shard also checks the three images of every row whose b has its six low
// bits zero. The sampled suites (FastVersusExact, the RapidCheck relations) cover both.
//
// Shards: one test per (format, op, high byte of a): 2 x 2 x 256 = 1024 tests, each a
// 256-value slice of a, from about 0.1 s (tiny |a|: few b) to about 40 s (|a| near the
// largest finite values: 8 million rows) on one core; docs/testing.md has the totals.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <tuple>

#include "reference/format.hpp"
#include "reference/oracle.hpp"
#include "tests/reference/bit_compare.hpp"

namespace normcheck::ref {
namespace {

constexpr std::uint64_t kSign = 0x8000;       // f16 and bf16 alike
constexpr std::uint64_t kMagnitude = 0x7fff;
constexpr std::uint64_t kMirrorEvery = 64;    // rows whose images are checked too

// The usual defaults: PyTorch's LayerNorm eps 1e-5 and the RMSNorm of LLaMA-style models,
// 1e-6, as the f32 values the kernels hold.
double eps_of(Op op) { return op == Op::layernorm ? 0x1.4f8b58p-17 : 0x1.0c6f7ap-20; }

struct Pair {
  std::uint64_t a, b;  // bit patterns
};

// f64 ulp of the larger magnitude (the smallest subnormal at zero).
double ulp_near(double u, double v) {
  const double m = std::max(std::fabs(u), std::fabs(v));
  return m == 0.0 ? 0x1p-1074 : std::max(std::ldexp(1.0, std::ilogb(m) - 52), 0x1p-1074);
}

class ExhaustivePairs : public ::testing::TestWithParam<std::tuple<Format, Op, unsigned>> {
 protected:
  // One row a slot: compares the two results there and reports the first few mismatches.
  void compare_rows(const std::vector<Pair>& pairs, const NormProblem& p) {
    compute_oracle_into(p, {}, fast_);
    compute_oracle_into(p, OracleOptions{.force_exact = true}, exact_);
    for (std::size_t r = 0; r < pairs.size(); ++r) {
      std::string what;
      for (std::size_t k = 2 * r; k < 2 * r + 2; ++k) {
        if (!testing::same_bits(fast_.y[k], exact_.y[k])) what += " y" + std::to_string(k - 2 * r);
        const double e = fast_.y_exact[k];
        const double w = exact_.y_exact[k];
        // Each within one f64 ulp of the exact y, so within two of each other, and each rounds to its y.
        const bool close = std::isfinite(w) ? std::isfinite(e) && std::fabs(e - w) <= 2 * ulp_near(e, w) &&
                                                  testing::same_bits(round_to_format(p.y_format, e), fast_.y[k]) &&
                                                  testing::same_bits(round_to_format(p.y_format, w), exact_.y[k])
                                            : testing::same_bits(e, w);
        if (!close) what += " y_exact" + std::to_string(k - 2 * r);
      }
      if (!testing::same_bits(fast_.mean[r], exact_.mean[r])) what += " mean";
      if (!testing::same_bits(fast_.rstd[r], exact_.rstd[r])) what += " rstd";
      if (what.empty()) continue;
      if (mismatches_++ < 10) {
        char row[256];
        std::snprintf(row, sizeof row, "a = %#06llx (%a), b = %#06llx (%a): fast y = [%a, %a], exact y = [%a, %a]",
                      static_cast<unsigned long long>(pairs[r].a), p.x[2 * r],
                      static_cast<unsigned long long>(pairs[r].b), p.x[2 * r + 1], fast_.y[2 * r],
                      fast_.y[2 * r + 1], exact_.y[2 * r], exact_.y[2 * r + 1]);
        ADD_FAILURE() << "differ in" << what << ": " << row;
      }
    }
  }

  long mismatches_ = 0;
  OracleResult fast_, exact_;
};

TEST_P(ExhaustivePairs, FastPathMatchesForcedExactPath) {
  const auto [format, op, high] = GetParam();
  NormProblem p;
  p.op = op;
  p.x_format = p.param_format = p.y_format = format;
  p.n = 2;
  p.eps = eps_of(op);
  std::vector<Pair> pairs;
  long covered = 0;
  long images = 0;
  for (std::uint64_t low = 0; low < 256; ++low) {
    const std::uint64_t a = std::uint64_t{high} << 8 | low;
    pairs.clear();
    for (std::uint64_t b = 0; b <= (a & kMagnitude); ++b) {
      pairs.push_back({a, b});
      if (b % kMirrorEvery == 0) {
        pairs.push_back({b, a});
        pairs.push_back({a ^ kSign, b ^ kSign});
        pairs.push_back({b ^ kSign, a ^ kSign});
        images += 3;
      }
    }
    covered += static_cast<long>((a & kMagnitude) + 1);
    p.rows = static_cast<std::int64_t>(pairs.size());
    p.x.resize(2 * pairs.size());
    for (std::size_t r = 0; r < pairs.size(); ++r) {
      p.x[2 * r] = from_bits(format, pairs[r].a);
      p.x[2 * r + 1] = from_bits(format, pairs[r].b);
    }
    compare_rows(pairs, p);
  }
  std::printf("%s %s eps %a, a in [%#06x, %#06x], b >= +0 with |b| <= |a|: %ld pairs and %ld mirror images, "
              "%ld mismatching\n",
              std::string(format_name(format)).c_str(), op == Op::layernorm ? "layernorm" : "rmsnorm", p.eps,
              high << 8, high << 8 | 0xff, covered, images, mismatches_);
  EXPECT_EQ(mismatches_, 0);
}

// f16_layernorm_a3cxx: the shard of a = 0x3c00 .. 0x3cff.
std::string shard_name(const ::testing::TestParamInfo<ExhaustivePairs::ParamType>& shard) {
  const auto [format, op, high] = shard.param;
  char slice[8];
  std::snprintf(slice, sizeof slice, "%02xxx", high);
  return std::string(format_name(format)) + (op == Op::layernorm ? "_layernorm_a" : "_rmsnorm_a") + slice;
}

INSTANTIATE_TEST_SUITE_P(Shards, ExhaustivePairs,
                         ::testing::Combine(::testing::Values(Format::f16, Format::bf16),
                                            ::testing::Values(Op::layernorm, Op::rmsnorm),
                                            ::testing::Range(0u, 256u)),
                         shard_name);

}  // namespace
}  // namespace normcheck::ref
