// Each mutant against its correct counterpart on an input of its bug class: the counterpart
// passes, the mutant fails, so every seeded bug is real and observable.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "impls/plugin_loader.hpp"
#include "impls/registry.hpp"
#include "kernel_test_support.hpp"

namespace normcheck::impls::testing {
namespace {

constexpr double kTolerance = 8;  // the correct kernels' tolerance (builtin_kernels_test.cpp)

struct MutantCase {
  const char* mutant;
  const char* counterpart;  // the correct kernel the mutant was derived from
  std::function<Case(const normcheck_kernel&, std::mt19937_64&)> make;
};

Case offset_rows(const normcheck_kernel& k, std::mt19937_64& rng, int64_t n, long double mean,
                 long double spread) {
  return random_case(k, rng, 2, n, mean, spread);
}

const std::vector<MutantCase>& mutant_cases() {
  static const std::vector<MutantCase> cases = {
      {"mutant.layernorm.one_pass_variance", "layernorm.f32.two_pass",
       [](auto& k, auto& rng) { return offset_rows(k, rng, 64, 3e4, 0.05); }},
      {"mutant.layernorm.one_pass_variance_clamped", "layernorm.f32.two_pass",
       [](auto& k, auto& rng) { return offset_rows(k, rng, 64, 3e4, 0.05); }},
      {"mutant.layernorm.unbiased_variance", "layernorm.f32.two_pass",
       [](auto& k, auto& rng) { return offset_rows(k, rng, 4, 0, 1); }},
      {"mutant.layernorm.f16_accumulators", "layernorm.f16.f32_params",
       [](auto& k, auto& rng) { return offset_rows(k, rng, 512, 1000, 10); }},
      {"mutant.layernorm.tail_padding_in_variance", "layernorm.f32.two_pass",
       [](auto& k, auto& rng) { return offset_rows(k, rng, 7, 5, 1); }},
      {"mutant.layernorm.tail_skipped", "layernorm.f32.two_pass",
       [](auto& k, auto& rng) { return offset_rows(k, rng, 13, 0, 1); }},
      {"mutant.layernorm.eps_f16", "layernorm.f32.two_pass",
       [](auto& k, auto& rng) {
         Case c = offset_rows(k, rng, 64, 0, 1e-4);
         c.eps = 0x1.5798eep-27;  // 1e-8 in fp32; below half of fp16's smallest subnormal
         return c;
       }},
      {"mutant.layernorm.eps_outside_sqrt", "layernorm.f32.two_pass",
       [](auto& k, auto& rng) {
         Case c = offset_rows(k, rng, 16, 0, 1);
         c.eps = 0.25;
         return c;
       }},
      {"mutant.layernorm.saved_rstd_without_eps", "layernorm.f32.two_pass",
       [](auto& k, auto& rng) {
         Case c = offset_rows(k, rng, 16, 0, 1);
         c.eps = 0.25;
         return c;
       }},
      {"mutant.rmsnorm.eps_ignored", "rmsnorm.f32",
       [](auto& k, auto& rng) {
         Case c = offset_rows(k, rng, 16, 0, 0.1);
         c.eps = 0.25;
         return c;
       }},
      {"mutant.layernorm.gamma_bf16", "layernorm.f32.two_pass",
       [](auto& k, auto& rng) {
         Case c = offset_rows(k, rng, 32, 0, 1);
         for (size_t i = 0; i < c.gamma.size(); ++i) c.gamma[i] = 1 + 0x1p-12L * static_cast<long double>(2 * i + 1);
         return c;
       }},
      {"mutant.fused_add_layernorm.undeclared_rounded_sum", "fused_add_layernorm.f16",
       [](auto&, auto&) {
         Case c;  // fp16 spacing at 2048 is 2: 2048 + 1 rounds to 2048 (ties to even)
         c.n = 2;
         c.x = {2048, 2048};
         c.residual = {0, 1};
         return c;
       }},
      {"mutant.fused_add_layernorm.truncated_residual_out", "fused_add_layernorm.bf16",
       [](auto& k, auto& rng) { return offset_rows(k, rng, 64, 0, 1); }},
      {"mutant.rmsnorm.sum_squares_overflow", "rmsnorm.f32",
       [](auto& k, auto& rng) { return offset_rows(k, rng, 16, 0, 1e20); }},
      // Rows 24 and on of a batch of distinct rows: each gets the statistics of row r - 16.
      {"mutant.layernorm.stale_tile_statistics", "layernorm.f16.f32_params",
       [](auto& k, auto& rng) { return random_case(k, rng, 40, 16, 0, 1); }},
      // n = 2049 held in fp16 is 2048: the mean is off by mean / 2048, 2.5 fp16 ulps of y here.
      {"mutant.layernorm.count_f16", "layernorm.f16.f32_params",
       [](auto& k, auto& rng) { return random_case(k, rng, 1, 2049, 30, 1); }},
  };
  return cases;
}

const KernelInfo& kernel_named(const char* name) {
  const KernelInfo* info = find_kernel(builtin_kernels(), name);
  if (info == nullptr) throw std::runtime_error(std::string("no kernel ") + name);
  return *info;
}

class Mutant : public ::testing::TestWithParam<MutantCase> {};

TEST_P(Mutant, CounterpartPassesAndMutantFails) {
  const MutantCase& mc = GetParam();
  const KernelInfo& mutant = kernel_named(mc.mutant);
  const KernelInfo& counterpart = kernel_named(mc.counterpart);
  std::mt19937_64 rng(2024);
  const Case c = mc.make(*counterpart.kernel, rng);
  const auto correct = first_mismatch(counterpart, c, kTolerance);
  EXPECT_FALSE(correct) << mc.counterpart << ": " << correct.value_or("");
  const auto wrong = first_mismatch(mutant, c, kTolerance);
  std::printf("  %s: %s\n", mc.mutant, wrong.value_or("no mismatch").c_str());
  EXPECT_TRUE(wrong) << mc.mutant << " agrees with the reference: its bug is not observable";
}

INSTANTIATE_TEST_SUITE_P(Mutants, Mutant, ::testing::ValuesIn(mutant_cases()),
                         [](const auto& param) {
                           std::string name = param.param.mutant;
                           for (char& ch : name) ch = std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
                           return name;
                         });

// The folded-FMA affine stays within the error score (its error is the cancellation the score
// forgives) but breaks the exact contract: a constant row must give exactly beta.
TEST(MutantContracts, FoldedAffineBreaksConstantRows) {
  const KernelInfo& mutant = kernel_named("mutant.layernorm.folded_affine_fma");
  const KernelInfo& counterpart = kernel_named("layernorm.f32.two_pass");
  std::mt19937_64 rng(8);
  int mutant_misses = 0;
  for (long double value : {0.1L, -3.3L, 1234.567L}) {
    Case c = random_case(*counterpart.kernel, rng, 1, 64);
    std::fill(c.x.begin(), c.x.end(), round_to(NORMCHECK_F32, value));
    const Outputs good = run_kernel(*counterpart.kernel, c);
    const Outputs bad = run_kernel(*mutant.kernel, c);
    for (size_t i = 0; i < c.beta.size(); ++i) {
      EXPECT_EQ(good.y[i], c.beta[i]);
      mutant_misses += bad.y[i] != c.beta[i];
    }
  }
  std::printf("  folded_affine_fma: %d of 192 constant-row outputs differ from beta\n", mutant_misses);
  EXPECT_GT(mutant_misses, 0);
}

// The rounding mutants stay within the tolerance (errors of an ulp), so no single output
// shows their bug; their errors lean one way instead. Against the long double reference, on
// 64 rows of 64 without beta (the rstd mutants take none): the truncating ones err toward zero
// by about 3/8 ulp on average, the rstd ones misround whole rows in one direction, and the
// correct kernel of the same shape (where there is one) does neither.
struct RoundingMutant {
  const char* mutant;
  const char* counterpart;  // nullptr: no built-in kernel of that shape
  bool truncates;           // else: rstd rounded
};
const RoundingMutant kRoundingMutants[] = {
    {"mutant.layernorm.f16_output_truncated", "layernorm.f16.f16_params", true},
    {"mutant.rmsnorm.bf16_output_truncated", "rmsnorm.bf16", true},
    {"mutant.rmsnorm.rstd_f16", nullptr, false},
    {"mutant.rmsnorm.rstd_bf16", "rmsnorm.bf16", false},
};

struct Lean {
  double toward_zero = 0;         // mean of -sign(y) * e, e clipped to +-1/2 ulp
  int misrounded = 0;             // |e| > 1/2 ulp + the compute slack
  int rows_misrounded_twice = 0;  // rows with two or more
  int rows_one_direction = 0;     // of those, all outward or all inward
};

Lean lean(const KernelInfo& info, const Case& c) {
  const Outputs out = run_kernel(*info.kernel, c);
  const Reference ref = reference(*info.kernel, c);
  Lean l;
  for (int64_t r = 0; r < c.rows; ++r) {
    int outward = 0, inward = 0;
    for (int64_t i = 0; i < c.n; ++i) {
      const auto k = static_cast<size_t>(r * c.n + i);
      const long double y = ref.y[k];
      const auto e = static_cast<double>((out.y[k] - y) / ulp_at(info.kernel->y_dtype, round_to(info.kernel->y_dtype, y)));
      l.toward_zero += std::clamp(y > 0 ? -e : e, -0.5, 0.5);
      // Beyond half an ulp plus what the tolerance gives the compute precision: not the
      // rounding to nearest of a value within that.
      const long double slack = kTolerance * unit_roundoff(info.compute) * ref.scale[k] /
                                ulp_at(info.kernel->y_dtype, round_to(info.kernel->y_dtype, y));
      if (std::fabs(e) > 0.5 + static_cast<double>(slack)) {
        ++l.misrounded;
        ((y > 0) == (e > 0) ? outward : inward) += 1;
      }
    }
    if (outward + inward >= 2) {
      ++l.rows_misrounded_twice;
      l.rows_one_direction += outward == 0 || inward == 0;
    }
  }
  l.toward_zero /= static_cast<double>(c.rows * c.n);
  return l;
}

TEST(MutantContracts, RoundingMutantsLeanOneWay) {
  for (const RoundingMutant& rm : kRoundingMutants) {
    const KernelInfo& mutant = kernel_named(rm.mutant);
    std::mt19937_64 rng(2024);
    Case c = random_case(*mutant.kernel, rng, 64, 64);
    c.beta.clear();
    const Lean bad = lean(mutant, c);
    std::printf("  %s: mean error toward zero %+.3f ulp, %d of 4096 misrounded, %d of %d rows in one direction\n",
                rm.mutant, bad.toward_zero, bad.misrounded, bad.rows_one_direction, bad.rows_misrounded_twice);
    if (rm.truncates) {
      EXPECT_GT(bad.toward_zero, 0.3) << rm.mutant;
    } else {
      EXPECT_GT(bad.rows_misrounded_twice, 16) << rm.mutant;
      EXPECT_EQ(bad.rows_one_direction, bad.rows_misrounded_twice) << rm.mutant;
    }
    if (rm.counterpart != nullptr) {
      const Lean good = lean(kernel_named(rm.counterpart), c);
      EXPECT_LT(std::fabs(good.toward_zero), 0.05) << rm.counterpart;
      EXPECT_EQ(good.misrounded, 0) << rm.counterpart;
    }
  }
}

TEST(MutantContracts, EveryBuiltinMutantHasACase) {
  for (const KernelInfo& info : builtin_kernels()) {
    if (!info.mutant) continue;
    const std::string name = info.kernel->name;
    bool covered = name == "mutant.layernorm.folded_affine_fma";
    for (const RoundingMutant& rm : kRoundingMutants) covered = covered || name == rm.mutant;
    for (const MutantCase& mc : mutant_cases()) covered = covered || name == mc.mutant;
    EXPECT_TRUE(covered) << name << " has no test showing its bug";
  }
}

}  // namespace
}  // namespace normcheck::impls::testing
