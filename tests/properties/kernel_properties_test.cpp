// RapidCheck properties of every correct built-in kernel, one parametrized test per
// property. Reproduce a failure with RC_PARAMS="seed=... reproduce=..." (docs/checking.md).
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "harness/budget.hpp"
#include "harness/checker.hpp"
#include "properties/problem_gen.hpp"
#include "properties/properties.hpp"

namespace normcheck::props {
namespace {

std::vector<std::string> correct_kernel_names() {
  std::vector<std::string> names;
  for (const auto& k : harness::default_check_kernels(impls::builtin_kernels()))
    names.emplace_back(k.kernel->name);
  return names;
}

class KernelProperty : public ::testing::TestWithParam<std::string> {
 protected:
  const impls::KernelInfo& kernel() const {
    for (const auto& k : impls::builtin_kernels())
      if (GetParam() == k.kernel->name) return k;
    throw std::runtime_error("unknown kernel " + GetParam());
  }
  harness::Budget budget() const { return harness::default_budget(kernel()); }
  // Rows up to 65 wide: RapidCheck shrinks element by element, which on 4097-wide rows
  // takes minutes; the checker (with its delta-debugging minimizer) covers wide rows.
  rc::Gen<GeneratedProblem> problems() const {
    GeneratorOptions options;
    options.max_n = 65;
    options.max_rows = 4;
    return gen_problem(shape_of(*kernel().kernel), options);
  }

  // Runs a property over generated problems; a skipped result is tagged, not failed.
  template <typename Property>
  void check(const std::string& name, Property property) {
    const auto gen = problems();
    const bool ok = rc::check(GetParam() + ": " + name, [&] {
      const auto g = *gen;
      RC_CLASSIFY(true, regime_name(g.regime));
      const PropertyResult result = property(g.problem);
      if (result.skipped) {
        RC_TAG("skipped");
        return;
      }
      if (!result.holds()) RC_FAIL(result.describe());
    });
    EXPECT_TRUE(ok);
  }
};

TEST_P(KernelProperty, AgreesWithOracleWithinBudget) {
  check("oracle agreement", [&](const ref::NormProblem& p) { return agrees_with_oracle(kernel(), p, budget()); });
}

TEST_P(KernelProperty, ConstantRowsGiveExactlyBeta) {
  check("constant rows", [&](const ref::NormProblem& p) { return constant_rows_give_beta(kernel(), p, budget()); });
}

TEST_P(KernelProperty, NonFiniteValueChangesOnlyItsRow) {
  const auto where = rc::gen::tuple(rc::gen::inRange<std::int64_t>(0, 1 << 20),
                                    rc::gen::inRange<std::int64_t>(0, 1 << 20),
                                    rc::gen::element(std::nan(""), HUGE_VAL, -HUGE_VAL));
  check("row isolation", [&](const ref::NormProblem& p) {
    const auto [row, column, special] = *where;
    return nonfinite_stays_in_row(kernel(), p, row, column, special);
  });
}

TEST_P(KernelProperty, RowsAloneEqualRowsInTheBatch) {
  check("batch invariance", [&](const ref::NormProblem& p) { return batch_invariant(kernel(), p); });
}

TEST_P(KernelProperty, ResidualOutIsCorrectlyRounded) {
  check("residual_out", [&](const ref::NormProblem& p) { return residual_out_correctly_rounded(kernel(), p); });
}

TEST_P(KernelProperty, SavedStatsWithinBudget) {
  check("saved stats", [&](const ref::NormProblem& p) { return stats_within_budget(kernel(), p, budget()); });
}

TEST_P(KernelProperty, PermutedColumnsWithinBudget) {
  check("permutation", [&](const ref::NormProblem& p) {
    std::vector<std::int64_t> permutation(static_cast<std::size_t>(p.n));
    std::iota(permutation.begin(), permutation.end(), 0);
    // Sorting by drawn keys: a uniform permutation that shrinks towards the identity.
    const auto keys = *rc::gen::container<std::vector<int>>(static_cast<std::size_t>(p.n), rc::gen::inRange(0, 1 << 20));
    std::stable_sort(permutation.begin(), permutation.end(), [&keys](std::int64_t a, std::int64_t b) {
      return keys[static_cast<std::size_t>(a)] < keys[static_cast<std::size_t>(b)];
    });
    return permutation_relation(kernel(), p, budget(), permutation);
  });
}

TEST_P(KernelProperty, SignFlipWithoutBetaWithinBudget) {
  check("sign flip", [&](const ref::NormProblem& p) { return sign_flip_relation(kernel(), p, budget()); });
}

TEST_P(KernelProperty, PowerOfTwoScalingWithinBudget) {
  check("power-of-two scaling", [&](const ref::NormProblem& p) {
    const int k = *rc::gen::inRange(-6, 7);
    return power_of_two_scaling_relation(kernel(), p, budget(), k);
  });
}

INSTANTIATE_TEST_SUITE_P(BuiltinKernels, KernelProperty, ::testing::ValuesIn(correct_kernel_names()),
                         [](const ::testing::TestParamInfo<std::string>& test_param) {
                           std::string name = test_param.param;
                           for (char& c : name)
                             if (c == '.' || c == '-') c = '_';
                           return name;
                         });

}  // namespace
}  // namespace normcheck::props
