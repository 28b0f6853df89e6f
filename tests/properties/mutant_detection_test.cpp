// Self-validation of the checker: every built-in mutant is caught at default settings
// with a shrunk case, and every correct built-in kernel passes.
#include <gtest/gtest.h>

#include <filesystem>

#include "harness/case.hpp"
#include "harness/checker.hpp"
#include "harness/evaluate.hpp"
#include "impls/plugin_loader.hpp"
#include "properties/case_source.hpp"

namespace normcheck::harness {
namespace {

std::int64_t elements(const ref::NormProblem& p) { return p.rows * p.n; }

std::vector<impls::KernelInfo> mutant_kernels() {
  std::vector<impls::KernelInfo> out;
  for (const auto& k : impls::builtin_kernels())
    if (k.mutant) out.push_back(k);
  return out;
}

TEST(SelfValidation, EveryMutantIsCaughtWithAShrunkCase) {
  const auto mutants = mutant_kernels();
  ASSERT_FALSE(mutants.empty());
  CheckOptions options;  // the defaults of `normcheck check`
  options.failures_dir = std::filesystem::temp_directory_path() / "normcheck-self-validation";
  const auto report = run_check(mutants, BudgetTable{}, props::make_case_source(), options);
  std::printf("%-44s %8s %8s %9s %9s  %s\n", "mutant", "case", "elements", "detect s", "shrink s", "class");
  for (const auto& k : report.kernels) {
    if (k.findings.empty()) {
      std::printf("%-44s NOT CAUGHT in %lld cases\n", k.kernel.c_str(), static_cast<long long>(k.cases));
      continue;
    }
    const auto& f = k.findings.front();
    std::printf("%-44s %8lld %8lld %9.3f %9.3f  %s\n", k.kernel.c_str(), static_cast<long long>(f.case_index),
                static_cast<long long>(elements(f.minimized)), f.seconds_to_detect, f.seconds_to_shrink,
                std::string(class_name(f.klass)).c_str());
  }
  for (const auto& k : report.kernels) {
    ASSERT_EQ(k.findings.size(), 1u) << k.kernel << " was not caught";
    const auto& f = k.findings.front();
    EXPECT_LE(elements(f.minimized), elements(f.original)) << k.kernel;
    EXPECT_LT(f.seconds_to_detect + f.seconds_to_shrink, 10.0) << k.kernel;
    const Case saved = read_case_file(f.case_file);
    EXPECT_EQ(saved.kernel, k.kernel);
    EXPECT_EQ(saved.expect, "fail");
  }
}

// The scale mutants are right on every case of up to 24 rows and 2048 columns: the
// default gate catches them because it draws large batches and long rows, and their
// minimized cases keep the size the bug needs, on which the counterpart passes.
TEST(SelfValidation, ScaleMutantsAreCaughtAtTheirScale) {
  const auto& all = impls::builtin_kernels();
  const auto* tiled = impls::find_kernel(all, "mutant.layernorm.stale_tile_statistics");
  const auto* count = impls::find_kernel(all, "mutant.layernorm.count_f16");
  const auto* counterpart = impls::find_kernel(all, "layernorm.f16.f32_params");
  ASSERT_TRUE(tiled && count && counterpart);
  CheckOptions options;  // the defaults of `normcheck check`
  options.failures_dir = std::filesystem::temp_directory_path() / "normcheck-self-validation-scale";
  const auto report = run_check({*tiled, *count}, BudgetTable{}, props::make_case_source(), options);
  ASSERT_EQ(report.kernels.size(), 2u);
  for (const auto& k : report.kernels) {
    ASSERT_EQ(k.findings.size(), 1u) << k.kernel << " was not caught";
    const auto& f = k.findings.front();
    EXPECT_LT(f.seconds_to_detect + f.seconds_to_shrink, 10.0) << k.kernel;
    if (k.kernel == tiled->kernel->name) {
      EXPECT_GE(f.minimized.rows, 25) << "a bug from row 24 on needs 25 rows";
    } else {
      EXPECT_GT(f.minimized.n, 2048) << "fp16 holds every n up to 2048";
    }
    EXPECT_TRUE(evaluate_case(*counterpart, f.minimized, default_budget(*counterpart)).passed()) << k.kernel;
  }
}

TEST(SelfValidation, CorrectKernelsPass) {
  CheckOptions options;
  options.cases = 100;  // the full default run is the CLI's job; this keeps ctest quick
  options.seed = 2024;
  options.failures_dir = std::filesystem::temp_directory_path() / "normcheck-self-validation-correct";
  const auto correct = default_check_kernels(impls::builtin_kernels());
  const auto report = run_check(correct, BudgetTable{}, props::make_case_source(), options);
  for (const auto& k : report.kernels) {
    for (const auto& f : k.findings)
      ADD_FAILURE() << f.signature << ": " << f.message << "\n" << case_to_json(Case{f.minimized, f.kernel, "fail", ""});
    EXPECT_GT(k.cases, 0) << k.kernel << " skipped every case";
  }
}

}  // namespace
}  // namespace normcheck::harness
