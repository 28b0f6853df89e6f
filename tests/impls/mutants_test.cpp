// Each mutant against its correct counterpart on an input of its bug class: the counterpart
// passes, the mutant fails, so every seeded bug is real and observable.
#include <gtest/gtest.h>

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

TEST(MutantContracts, EveryBuiltinMutantHasACase) {
  for (const KernelInfo& info : builtin_kernels()) {
    if (!info.mutant) continue;
    const std::string name = info.kernel->name;
    bool covered = name == "mutant.layernorm.folded_affine_fma";
    for (const MutantCase& mc : mutant_cases()) covered = covered || name == mc.mutant;
    EXPECT_TRUE(covered) << name << " has no test showing its bug";
  }
}

}  // namespace
}  // namespace normcheck::impls::testing
