// Each backward mutant against its correct counterpart on an input of its bug class: the
// counterpart passes, the mutant fails, so every seeded bug is real and observable.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <set>

#include "backward_test_support.hpp"
#include "impls/plugin_loader.hpp"
#include "impls/registry.hpp"

namespace normcheck::impls::testing {
namespace {

constexpr double kTolerance = 16;  // the correct kernels' tolerance (backward_kernels_test.cpp)

struct MutantCase {
  const char* mutant;
  const char* counterpart;  // the correct kernel the mutant was derived from
  std::function<BackwardCase(const normcheck_backward_kernel&, std::mt19937_64&)> make;
};

std::function<BackwardCase(const normcheck_backward_kernel&, std::mt19937_64&)> random_rows(
    int64_t rows, int64_t n, long double mean = 0, double eps = 0x1.4f8b58p-17) {
  return [=](const normcheck_backward_kernel& k, std::mt19937_64& rng) {
    BackwardCase c = random_backward_case(k, rng, rows, n, mean, 1);
    c.eps = eps;
    return c;
  };
}

const std::vector<MutantCase>& mutant_cases() {
  static const std::vector<MutantCase> cases = {
      {"mutant.layernorm_backward.mean_g_twice", "layernorm_backward.f32", random_rows(2, 16)},
      // 100 rows: four blocks of 32, of which the mutant keeps the last (4 rows).
      {"mutant.layernorm_backward.last_block_only", "layernorm_backward.f32", random_rows(100, 8)},
      {"mutant.layernorm_backward.mean_g_dropped", "layernorm_backward.f32", random_rows(2, 16)},
      // gamma ~ N(1, 0.5) differs from ones, so mean(dy xhat) differs from mean(g xhat).
      {"mutant.layernorm_backward.dy_in_dot_term", "layernorm_backward.f32", random_rows(2, 16)},
      // bf16 sums keep 8 bits: over 100 rows, far from fp32's tolerance.
      {"mutant.layernorm_backward.dgamma_bf16_accumulation", "layernorm_backward.bf16", random_rows(100, 8)},
      {"mutant.layernorm_backward.half_columns", "layernorm_backward.f32", random_rows(3, 8)},
      // 33 rows: one full block and a partial one of a single row.
      {"mutant.layernorm_backward.last_partial_block_dropped", "layernorm_backward.f32", random_rows(33, 8)},
      // eps = 0.25 against a variance of about 1: rstd off by some 10%.
      {"mutant.layernorm_backward.rstd_without_eps", "layernorm_backward.f32", random_rows(2, 16, 0, 0.25)},
      // x ~ N(3, 1): centering moves xhat far, and mean(g) is nonzero.
      {"mutant.rmsnorm_backward.layernorm_formula", "rmsnorm_backward.f32", random_rows(2, 16, 3)},
  };
  return cases;
}

TEST(BackwardMutants, EachDiffersFromItsCounterpartOnItsInput) {
  const auto& all = builtin_backward_kernels();
  std::mt19937_64 rng(20261201);
  for (const MutantCase& mc : mutant_cases()) {
    const BackwardKernelInfo* mutant = find_backward_kernel(all, mc.mutant);
    const BackwardKernelInfo* counterpart = find_backward_kernel(all, mc.counterpart);
    ASSERT_NE(mutant, nullptr) << mc.mutant;
    ASSERT_NE(counterpart, nullptr) << mc.counterpart;
    ASSERT_TRUE(mutant->mutant) << mc.mutant;
    EXPECT_EQ(mutant->kernel->op, counterpart->kernel->op) << mc.mutant;
    EXPECT_EQ(mutant->kernel->x_dtype, counterpart->kernel->x_dtype) << mc.mutant;
    const BackwardCase c = mc.make(*counterpart->kernel, rng);
    EXPECT_EQ(first_backward_mismatch(*counterpart, c, kTolerance), std::nullopt) << mc.counterpart;
    const auto found = first_backward_mismatch(*mutant, c, kTolerance);
    EXPECT_NE(found, std::nullopt) << mc.mutant << " is not caught";
    if (found) std::printf("  %s: %s\n", mc.mutant, found->c_str());
  }
}

TEST(BackwardMutants, EveryMutantHasACase) {
  std::set<std::string> covered;
  for (const MutantCase& mc : mutant_cases()) covered.insert(mc.mutant);
  for (const BackwardKernelInfo& info : builtin_backward_kernels()) {
    if (info.mutant) {
      EXPECT_TRUE(covered.count(info.kernel->name)) << info.kernel->name << " has no case";
    }
  }
  EXPECT_EQ(covered.size(), 9u);
}

// The partial-block mutant is exact when rows is a multiple of the block: the bug needs a tail.
TEST(BackwardMutants, PartialBlockDropIsInvisibleOnWholeBlocks) {
  const BackwardKernelInfo* mutant =
      find_backward_kernel(builtin_backward_kernels(), "mutant.layernorm_backward.last_partial_block_dropped");
  ASSERT_NE(mutant, nullptr);
  std::mt19937_64 rng(3);
  EXPECT_EQ(first_backward_mismatch(*mutant, random_backward_case(*mutant->kernel, rng, 64, 8), kTolerance),
            std::nullopt);
}

}  // namespace
}  // namespace normcheck::impls::testing
