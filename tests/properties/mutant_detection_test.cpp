// Self-validation of the checker: every built-in mutant is caught at default settings
// with a shrunk case (the rounding mutants by the bias test, with a representative row), and
// every correct built-in kernel passes. How long detecting and shrinking take is measured
// by bench/properties/mutant_detection_bench.cpp.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

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

// Output truncated, or rstd held in half precision: errors of an ulp that lean one way.
bool is_rounding_mutant(const std::string& name) {
  return name.find("_output_truncated") != std::string::npos || name.find(".rstd_") != std::string::npos;
}

TEST(SelfValidation, EveryMutantIsCaughtWithAShrunkCase) {
  const auto mutants = mutant_kernels();
  ASSERT_FALSE(mutants.empty());
  CheckOptions options;  // the defaults of `normcheck check`, but for the first defect only
  options.max_findings = 1;  // every defect after the first costs a shrink; one shows a mutant caught
  options.failures_dir = std::filesystem::temp_directory_path() / "normcheck-self-validation";
  const auto report = run_check(mutants, BudgetTable{}, props::make_case_source(), options);
  std::printf("%-44s %8s %8s %9s %9s  %-10s %s\n", "mutant", "case", "elements", "detect s", "shrink s", "class",
              "max score (limit >= 16)");
  for (const auto& k : report.kernels) {
    if (k.findings.empty()) {
      std::printf("%-44s NOT CAUGHT in %lld cases\n", k.kernel.c_str(), static_cast<long long>(k.cases));
      continue;
    }
    const auto& f = k.findings.front();
    std::printf("%-44s %8lld %8lld %9.3f %9.3f  %-10s %.3g\n", k.kernel.c_str(), static_cast<long long>(f.case_index),
                static_cast<long long>(elements(f.minimized)), f.seconds_to_detect, f.seconds_to_shrink,
                std::string(class_name(f.klass)).c_str(), k.max_score);
  }
  for (const auto& k : report.kernels) {
    ASSERT_FALSE(k.findings.empty()) << k.kernel << " was not caught";
    EXPECT_LE(static_cast<int>(k.findings.size()), options.max_findings) << k.kernel;
    if (is_rounding_mutant(k.kernel)) {
      // Within the ULP budget on every case (docs/kernels.md): the bias test is what catches it.
      ASSERT_EQ(k.findings.size(), 1u) << k.kernel << ": " << k.findings.front().message;
      EXPECT_EQ(k.findings.front().klass, ViolationClass::bias) << k.kernel << ": " << k.findings.front().message;
      EXPECT_LT(k.max_score, 2.0) << k.kernel;
    }
    for (const auto& f : k.findings) {
      EXPECT_LE(elements(f.minimized), elements(f.original)) << f.signature;
      if (f.klass == ViolationClass::bias) {
        // A statistic over the run: no case file, and the command that reproduces it is the
        // check run itself (its representative row alone passes).
        EXPECT_TRUE(f.case_file.empty()) << k.kernel;
        EXPECT_NE(f.replay.find(" check --kernel " + k.kernel + " --seed 1 --cases 1000"), std::string::npos)
            << f.replay;
        EXPECT_EQ(f.saved_case.kernel, k.kernel);
        continue;
      }
      const Case saved = read_case_file(f.case_file);
      EXPECT_EQ(saved.kernel, k.kernel);
      EXPECT_EQ(saved.expect, Verdict::fail);
    }
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
  CheckOptions options;  // the defaults of `normcheck check`, but for the first defect only
  options.max_findings = 1;
  options.failures_dir = std::filesystem::temp_directory_path() / "normcheck-self-validation-scale";
  const auto report = run_check({*tiled, *count}, BudgetTable{}, props::make_case_source(), options);
  ASSERT_EQ(report.kernels.size(), 2u);
  for (const auto& k : report.kernels) {
    ASSERT_EQ(k.findings.size(), 1u) << k.kernel << " was not caught";
    const auto& f = k.findings.front();
    std::printf("%s: caught in %.2f s + %.2f s shrinking\n", k.kernel.c_str(), f.seconds_to_detect, f.seconds_to_shrink);
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
      ADD_FAILURE() << f.signature << ": " << f.message << "\n" << case_to_json([&] {
        Case c;
        c.problem = f.minimized;
        c.kernel = f.kernel;
        c.expect = Verdict::fail;
        return c;
      }());
    EXPECT_GT(k.cases, 0) << k.kernel << " skipped every case";
  }
}

}  // namespace
}  // namespace normcheck::harness
