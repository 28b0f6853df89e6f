// Calibration of the rounding-bias test (docs/error-measures.md, "Rounding bias") on the
// default gate's case stream: every correct built-in kernel stays far from a finding, and
// each rounding mutant is found, while the per-case ULP budget lets its cases pass.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <utility>
#include <string>
#include <vector>

#include "harness/bias_statistics.hpp"
#include "harness/budget.hpp"
#include "harness/checker.hpp"
#include "harness/evaluate.hpp"
#include "impls/plugin_loader.hpp"
#include "properties/case_source.hpp"

namespace normcheck::harness {
namespace {

// The mutants whose bug is a rounding bias within the ULP budget.
const std::vector<std::string> kRoundingMutants = {
    "mutant.layernorm.f16_output_truncated", "mutant.rmsnorm.bf16_output_truncated",
    "mutant.rmsnorm.rstd_f16", "mutant.rmsnorm.rstd_bf16"};

struct StreamResult {
  BiasFigures bias;
  std::int64_t cases = 0;
  std::int64_t budget_failures = 0;  // cases with a score or ulp violation
  std::int64_t other_failures = 0;   // cases with any other violation
};

// The gate's stream for one kernel (`normcheck check`: seed 1, 1000 cases), judged in
// process and run to its end whatever the cases show, so the statistic sees every case.
StreamResult run_stream(const impls::KernelInfo& kernel, std::uint64_t seed,
                        std::int64_t cases = kDefaultCasesPerKernel) {
  const CaseSource source = props::make_case_source();
  const Budget budget = default_budget(kernel);
  EvaluateOptions options;
  options.check_contracts = false;  // the multi-run contracts add nothing to the tallies
  BiasAccumulator bias;
  StreamResult result;
  for (std::int64_t index = 0; index < cases; ++index) {
    const CaseEvaluation e = evaluate_case(kernel, source(kernel, seed, index).problem, budget, options);
    if (e.skipped) continue;
    ++result.cases;
    bias.add(e.signed_errors, index);
    bool budget_failure = false, other_failure = false;
    for (const auto& v : e.violations) {
      (v.klass == ViolationClass::score || v.klass == ViolationClass::ulp ? budget_failure : other_failure) = true;
    }
    result.budget_failures += budget_failure;
    result.other_failures += other_failure;
  }
  result.bias = bias.figures();
  return result;
}

void print_header() {
  std::printf("%-38s %5s %8s %8s %7s %7s %6s | %-26s %-26s %-26s %-26s %-26s | %8s %s\n", "kernel", "cases",
              "outputs", "mean", "to-zero", "misr%", "coher", "upward stat/crit", "downward", "toward-zero",
              "away-from-zero", "row-coherent", "p", "budget fails");
}

void print_row(const std::string& name, const StreamResult& r) {
  const BiasFigures& b = r.bias;
  if (!b.applicable()) {
    std::printf("%-38s %5lld  n/a: no output with compute slack below 1/16 ulp (budget fails %lld)\n", name.c_str(),
                static_cast<long long>(r.cases), static_cast<long long>(r.budget_failures));
    return;
  }
  std::printf("%-38s %5lld %8lld %+8.4f %+7.4f %7.3f %6.2f |", name.c_str(), static_cast<long long>(b.cases),
              static_cast<long long>(b.outputs), b.mean_error, b.mean_toward_zero, 100 * b.misrounded_fraction,
              b.row_coherence);
  // Each test: statistic / critical value (how far from its null bound toward a finding).
  for (const auto& t : b.tests) {
    if (t.cases == 0) {
      std::printf(" %-25s ", "no misrounded pairs");
    } else {
      std::printf(" %+8.4f / %-8.4f (%4.0f%%) ", t.statistic, t.critical,
                  100 * (t.statistic - t.null_bound) / (t.critical - t.null_bound));
    }
  }
  std::printf("| %8.2g %lld/%lld\n", b.p_value, static_cast<long long>(r.budget_failures),
              static_cast<long long>(r.cases));
}

// Each correct built-in kernel, on the gate's seed and another: no finding, and every test's
// statistic below half its null bound (the largest expectation the test tolerates), not
// merely below the larger critical value.
// The gate's seed over its whole stream; the second seed over a third of it. A sanitizer
// build (5-10x slower; its point is memory errors, which any stream shows) runs a fifth of
// each, so that the suite stays inside its time limit: the release suite calibrates in full.
#if defined(__SANITIZE_ADDRESS__)
constexpr std::int64_t kCalibrationDivisor = 5;
#else
constexpr std::int64_t kCalibrationDivisor = 1;
#endif

TEST(BiasCalibration, CorrectKernelsStayFarFromAFinding) {
  for (const auto& [seed, cases] : {std::pair<std::uint64_t, std::int64_t>{1, kDefaultCasesPerKernel},
                                    std::pair<std::uint64_t, std::int64_t>{2024, kDefaultCasesPerKernel / 3}}) {
    std::printf("seed %llu, %lld cases\n", static_cast<unsigned long long>(seed),
                static_cast<long long>(cases / kCalibrationDivisor));
    print_header();
    for (const auto& kernel : default_check_kernels(impls::builtin_kernels())) {
      const StreamResult r = run_stream(kernel, seed, cases / kCalibrationDivisor);
      print_row(kernel.kernel->name, r);
      EXPECT_FALSE(r.bias.finding) << kernel.kernel->name << ": " << bias_summary(r.bias);
      for (const auto& t : r.bias.tests) {
        EXPECT_LT(t.statistic, t.null_bound / 2)
            << kernel.kernel->name << ": " << bias_test_name(t.kind) << " has less than 2x margin to its null bound";
      }
    }
  }
}

// Each rounding mutant is a bias finding over the gate's stream, and no case of it breaks the
// ULP budget: the statistic sees what no single case shows.
TEST(BiasCalibration, RoundingMutantsAreFoundByTheBiasTestAlone) {
  print_header();
  for (const auto& name : kRoundingMutants) {
    const impls::KernelInfo* kernel = impls::find_kernel(impls::builtin_kernels(), name);
    ASSERT_NE(kernel, nullptr) << name;
    const StreamResult r = run_stream(*kernel, 1);
    print_row(name, r);
    EXPECT_TRUE(r.bias.finding) << name << ": " << bias_summary(r.bias);
    EXPECT_EQ(r.budget_failures, 0) << name << ": the ULP budget alone catches it";
    EXPECT_EQ(r.other_failures, 0) << name << ": another class catches it";
  }
}

}  // namespace
}  // namespace normcheck::harness
