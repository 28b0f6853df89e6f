// The safe input domain as a user sees it from the command line: the line under an
// overflow finding, the JSON "domain" of the kernel and its findings, a budget whose
// max_abs_x accepts the overflow knowingly, and a bad budget value named with its file.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/cli/cli_support.hpp"

namespace normcheck::harness::cli_testing {
namespace {

const std::string kOverflowing =
    "check --kernel mutant.rmsnorm.sum_squares_overflow --save-failures " +
    (scratch_dir() / "domain-cases").string() + " ";

TEST(CliDomain, AnOverflowFindingPrintsItsDomainAndTheJsonCarriesIt) {
  const Outcome o = normcheck(kOverflowing + "--json -");
  ASSERT_EQ(o.exit_code, 1) << o.err;
  EXPECT_NE(o.err.find("within budget for |x| <= 2^63.5 (n = 1); beyond, x^2 overflows in fp32"),
            std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find("within budget for |x| >= 2^"), std::string::npos)
      << "the tiny rows underflow: " << o.err;
  const nlohmann::json json = nlohmann::json::parse(o.out);
  const auto& kernel = json.at("kernels").at(0);
  ASSERT_TRUE(kernel.at("domain").at("max_abs_x").is_number()) << kernel.at("domain");
  ASSERT_TRUE(kernel.at("domain").at("min_abs_x").is_number()) << kernel.at("domain");
  int upper = 0;
  for (const auto& f : kernel.at("findings")) {
    if (!f.at("domain").is_object() || !f.at("domain").contains("max_abs_x")) continue;
    ++upper;
    EXPECT_EQ(f.at("domain").at("cause"), "square-overflow") << f.at("domain");
    EXPECT_EQ(f.at("domain").at("exact"), "0x1.6a09e6p+63");
    EXPECT_LE(kernel.at("domain").at("max_abs_x").get<double>(),
              f.at("domain").at("max_abs_x").get<double>());
  }
  EXPECT_GE(upper, 1);
}

TEST(CliDomain, ACorrectKernelHasANullDomain) {
  const Outcome o = normcheck("check --kernel rmsnorm.f32 --cases 200 --json -");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.err.find("within budget for"), std::string::npos) << o.err;
  const nlohmann::json json = nlohmann::json::parse(o.out);
  const auto& domain = json.at("kernels").at(0).at("domain");
  EXPECT_TRUE(domain.at("max_abs_x").is_null());
  EXPECT_TRUE(domain.at("min_abs_x").is_null());
}

TEST(CliDomain, BudgetMaxAbsXAcceptsTheOverflowAndABadValueIsNamed) {
  const fs::path budgets = scratch_dir() / "domain-budgets.toml";
  std::ofstream(budgets)
      << "[kernel.\"mutant.rmsnorm.sum_squares_overflow\"]\nmax_abs_x = 7.205759403792794e16\n";
  const Outcome o = normcheck(kOverflowing + "--budgets '" + budgets.string() + "' --json -");
  const nlohmann::json json = nlohmann::json::parse(o.out);
  const auto& kernel = json.at("kernels").at(0);
  EXPECT_TRUE(kernel.at("domain").at("max_abs_x").is_null()) << "no overflow left within 2^56";
  EXPECT_GT(kernel.at("skipped").get<long long>(), 0);
  EXPECT_EQ(o.err.find("overflows in fp32"), std::string::npos) << o.err;

  std::ofstream(budgets) << "[kernel.\"mutant.rmsnorm.sum_squares_overflow\"]\nmax_abs_x = -1\n";
  const Outcome bad = normcheck(kOverflowing + "--budgets '" + budgets.string() + "'");
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find(budgets.string()), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("max_abs_x"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace normcheck::harness::cli_testing
