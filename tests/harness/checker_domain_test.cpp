// Findings of range carry the kernel's measured safe domain, and the budget keys that accept
// a finding knowingly: max_abs_x silences an overflow that the default budget reports, and
// bias = false a rounding-bias finding (its figures are still reported).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "harness/check_output.hpp"
#include "harness/checker.hpp"
#include "properties/case_source.hpp"
#include "tests/support/test_kernels.hpp"

namespace normcheck::harness {
namespace {

const impls::KernelInfo& kernel(const char* name) {
  return testing::builtin_kernel(name);
}

CheckOptions gate(const std::string& name) {
  CheckOptions options;  // the defaults of `normcheck check`: 1000 cases, seed 1
  options.failures_dir =
      std::filesystem::temp_directory_path() / ("normcheck-checker-domain-test-" + name);
  std::filesystem::remove_all(options.failures_dir);
  return options;
}

BudgetTable budget_file(const std::string& name, const std::string& text) {
  const auto path =
      std::filesystem::temp_directory_path() / ("normcheck-checker-domain-" + name + ".toml");
  std::ofstream(path) << text;
  return BudgetTable::load(path);
}

// The largest |x| at which fp32 sums of squares of this case stay finite: every row's
// sum x^2 = M^2 sum (x/M)^2 at most FLT_MAX, with M the case's largest |x|.
double analytic_overflow_log2(const ref::NormProblem& p) {
  double largest = 0;
  for (double v : p.x) largest = std::max(largest, std::fabs(v));
  double worst_row = 0;
  for (std::int64_t r = 0; r < p.rows; ++r) {
    double sum = 0;
    for (std::int64_t i = 0; i < p.n; ++i) {
      const double u = p.x[static_cast<std::size_t>(r * p.n + i)] / largest;
      sum += u * u;
    }
    worst_row = std::max(worst_row, sum);
  }
  return 0.5 *
         (std::log2(static_cast<double>(std::numeric_limits<float>::max())) - std::log2(worst_row));
}

constexpr const char* kOverflowing = "mutant.rmsnorm.sum_squares_overflow";
// The analytical bound is for exact squares; the kernel's, rounded to fp32, may sum to
// exactly FLT_MAX a few ulps above it (8 x^2 at |x| = 0x1.6a09e6p+62 does).
constexpr double kRounding = 1e-6;

TEST(CheckerDomain, OverflowFindingsCarryTheAnalyticalBoundary) {
  const auto report =
      run_check({kernel(kOverflowing)}, BudgetTable{}, props::make_case_source(), gate("overflow"));
  const KernelSummary& k = report.kernels.at(0);
  int upper = 0, lower = 0;
  for (const Finding& f : k.findings) {
    if (!f.domain) continue;
    std::printf("%s: %s\n", f.signature.c_str(), describe_domain(*f.domain).c_str());
    if (f.domain->side == DomainSide::lower) {
      ++lower;
      // x^2 of an fp32 |x| below 2^-75 rounds to zero; the squares are normal down to 2^-63.
      EXPECT_GE(f.domain->log2_abs_x(), -75.0) << f.signature;
      EXPECT_LE(f.domain->log2_abs_x(), -63.0) << f.signature;
      continue;
    }
    ++upper;
    const double analytic = analytic_overflow_log2(f.minimized);
    EXPECT_LE(f.domain->log2_abs_x(), analytic + kRounding) << f.signature;
    EXPECT_GT(f.domain->log2_abs_x(), analytic - 0.5) << f.signature;
    EXPECT_TRUE(f.domain->cause == DomainCause::square_overflow ||
                f.domain->cause == DomainCause::square_sum_overflow)
        << describe_domain(*f.domain);
    if (f.original.n > f.minimized.n) {
      ASSERT_TRUE(f.equal_magnitude_domain.has_value()) << f.signature;
      const auto& row = *f.equal_magnitude_domain;
      std::printf("  %s\n", describe_domain(row).c_str());
      EXPECT_EQ(row.n, f.original.n);
      const double row_analytic =
          analytic_overflow_log2(equal_magnitude_row(f.minimized, f.original.n));
      EXPECT_LE(row.log2_abs_x(), row_analytic + kRounding) << f.signature;
      EXPECT_GT(row.log2_abs_x(), row_analytic - 0.5) << f.signature;
    }
  }
  EXPECT_GE(upper, 1) << "x^2 overflows: some finding must be bounded from above";
  EXPECT_GE(lower, 1) << "x^2 underflows: some finding must be bounded from below";

  const std::string text = format_findings(report);
  EXPECT_NE(text.find("within budget for |x| <= 2^"), std::string::npos) << text;
  EXPECT_NE(text.find("overflows in fp32"), std::string::npos) << text;
  EXPECT_NE(junit_xml(report).find("within budget for |x| &lt;= 2^"), std::string::npos);
  const auto json = nlohmann::json::parse(report_json(report));
  const auto& domain = json["kernels"][0]["domain"];
  ASSERT_TRUE(domain["max_abs_x"].is_number()) << domain;
  ASSERT_TRUE(domain["min_abs_x"].is_number()) << domain;
  EXPECT_EQ(domain["max_abs_x"].get<double>(), *k.domain().max_abs_x);
  bool finding_has_domain = false;
  for (const auto& f : json["kernels"][0]["findings"])
    finding_has_domain =
        finding_has_domain || (f["domain"].is_object() && f["domain"].contains("max_abs_x"));
  EXPECT_TRUE(finding_has_domain);
}

// One-pass variance cancels at any magnitude; its huge cases pass near 1 only because a
// fixed eps there outweighs the variance. Such a finding is not one of range: any domain
// reported must begin at an extreme magnitude.
TEST(CheckerDomain, AFailureThatBeginsAtOrdinaryMagnitudesHasNoDomain) {
  const auto report = run_check({kernel("mutant.layernorm.one_pass_variance_clamped")},
                                BudgetTable{}, props::make_case_source(), gate("cancellation"));
  ASSERT_FALSE(report.kernels.at(0).findings.empty());
  for (const Finding& f : report.kernels[0].findings) {
    if (!f.domain) continue;
    EXPECT_GT(std::fabs(f.domain->log2_abs_x()), 32.0)
        << f.signature << ": " << describe_domain(*f.domain);
  }
}

TEST(CheckerDomain, ACorrectKernelHasNoDomain) {
  const auto report =
      run_check({kernel("rmsnorm.f32")}, BudgetTable{}, props::make_case_source(), gate("correct"));
  ASSERT_TRUE(report.passed());
  EXPECT_EQ(format_findings(report).find("within budget for"), std::string::npos);
  const auto json = nlohmann::json::parse(report_json(report));
  EXPECT_TRUE(json["kernels"][0]["domain"]["max_abs_x"].is_null());
  EXPECT_TRUE(json["kernels"][0]["domain"]["min_abs_x"].is_null());
}

// 2^56 = 2^64 / sqrt(2^16): the bound for rows of up to 65536 values (the generators'
// longest), as a user would write it from the measured domain. The overflow is then
// accepted knowingly; the underflow, which max_abs_x does not cover, is still found.
TEST(CheckerDomain, BudgetMaxAbsXSilencesTheOverflowTheDefaultReports) {
  const auto budgets = budget_file(
      "max-abs-x",
      "[kernel.\"mutant.rmsnorm.sum_squares_overflow\"]\nmax_abs_x = 7.205759403792794e16\n");
  const auto report =
      run_check({kernel(kOverflowing)}, budgets, props::make_case_source(), gate("max-abs-x"));
  const KernelSummary& k = report.kernels.at(0);
  EXPECT_GT(k.skipped, 0) << "cases beyond the declared domain are skipped";
  ASSERT_FALSE(k.findings.empty()) << "the underflow is not covered by max_abs_x";
  for (const Finding& f : k.findings) {
    EXPECT_FALSE(f.domain && f.domain->side == DomainSide::upper)
        << f.signature << ": " << f.message;
    for (double v : f.original.x)
      EXPECT_FALSE(std::isfinite(v) && std::fabs(v) > 0x1p56) << f.signature;
  }
  EXPECT_FALSE(k.domain().max_abs_x.has_value());
}

TEST(CheckerDomain, BiasFalseAcceptsABiasFindingAndKeepsItsFigures) {
  const char* truncating = "mutant.rmsnorm.bf16_output_truncated";
  const auto by_default =
      run_check({kernel(truncating)}, BudgetTable{}, props::make_case_source(), gate("bias-on"));
  ASSERT_EQ(by_default.kernels.at(0).findings.size(), 1u);
  EXPECT_EQ(by_default.kernels[0].findings[0].klass, ViolationClass::bias);

  const auto budgets =
      budget_file("bias-off", "[kernel.\"mutant.rmsnorm.bf16_output_truncated\"]\nbias = false\n");
  const auto report =
      run_check({kernel(truncating)}, budgets, props::make_case_source(), gate("bias-off"));
  const KernelSummary& k = report.kernels.at(0);
  EXPECT_TRUE(k.findings.empty()) << k.findings.front().message;
  EXPECT_TRUE(k.passed());
  EXPECT_TRUE(k.bias.finding) << "the figures still say what the test would find";
  EXPECT_TRUE(
      nlohmann::json::parse(report_json(report))["kernels"][0]["bias"]["finding"].get<bool>());
}

}  // namespace
}  // namespace normcheck::harness
