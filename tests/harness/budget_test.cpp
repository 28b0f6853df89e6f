// Tests of the budgets: the default table, score_limit, and TOML overrides and errors.
#include "harness/budget.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "harness/case.hpp"

namespace normcheck::harness {
namespace {

std::filesystem::path source_dir() {
  const char* dir = std::getenv("NORMCHECK_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

struct NamedKernel {
  normcheck_kernel kernel{};
  impls::KernelInfo info;
  NamedKernel(const char* name, normcheck_dtype compute) {
    kernel = normcheck_kernel{name, NORMCHECK_LAYERNORM, NORMCHECK_F16, NORMCHECK_F32, NORMCHECK_F16, 0,
                              nullptr, nullptr};
    info.kernel = &kernel;
    info.compute = compute;
  }
};

std::filesystem::path write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path;
}

std::string load_error(const std::string& text) {
  const auto path = write_temp("normcheck_budget_test.toml", text);
  try {
    BudgetTable::load(path);
  } catch (const InputError& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(BudgetTest, DefaultsFollowTheComputePrecision) {
  const NamedKernel f32("layernorm.a", NORMCHECK_F32);
  const Budget b = default_budget(f32.info);
  std::printf("default f32 budget: max_score %g + %g * log2(n), max_ulp %s\n", b.max_score,
              b.score_per_log2n, b.max_ulp ? "set" : "none");
  EXPECT_EQ(b.compute, ref::Format::f32);
  EXPECT_EQ(b.special, SpecialPolicy::strict);
  EXPECT_FALSE(b.max_ulp.has_value());
  EXPECT_FALSE(b.max_abs_x.has_value());
  EXPECT_GE(b.max_score, 4.0);  // a correct kernel's final rounding and op chain, with margin
  EXPECT_LT(b.max_score, 64.0);

  const NamedKernel f16("layernorm.h", NORMCHECK_F16);
  const Budget h = default_budget(f16.info);
  EXPECT_EQ(h.compute, ref::Format::f16);
  EXPECT_FALSE(h.max_abs_x.has_value());  // correct kernels scale rows themselves

  const NamedKernel f64("layernorm.d", NORMCHECK_F64);
  EXPECT_EQ(default_budget(f64.info).compute, ref::Format::f64);
}

TEST(BudgetTest, ScoreLimitGrowsWithLog2N) {
  Budget b;
  b.max_score = 10;
  b.score_per_log2n = 1.5;
  EXPECT_EQ(score_limit(b, 1), 10.0);
  EXPECT_EQ(score_limit(b, 1024), 25.0);
  EXPECT_EQ(score_limit(b, 0), 10.0);
}

// A sequential sum's worst-case error grows by one u_c per element: n - 1 on top.
TEST(BudgetTest, ASequentialSummationBudgetGrowsWithN) {
  Budget b;
  b.max_score = 10;
  b.score_per_log2n = 1.5;
  EXPECT_EQ(b.summation, Summation::pairwise);
  EXPECT_EQ(sequential_score_limit(b, 1024), 25.0 + 1023.0);
  b.summation = Summation::sequential;
  EXPECT_EQ(score_limit(b, 1), 10.0);
  EXPECT_EQ(score_limit(b, 1024), 25.0 + 1023.0);
  const auto path = write_temp("normcheck_budget_summation.toml", "[kernel.\"k\"]\nsummation = \"sequential\"\n");
  const NamedKernel k("k", NORMCHECK_F32);
  EXPECT_EQ(BudgetTable::load(path).for_kernel(k.info).summation, Summation::sequential);
  const auto bad = write_temp("normcheck_budget_summation_bad.toml", "[kernel.\"k\"]\nsummation = \"kahan\"\n");
  try {
    (void)BudgetTable::load(bad);
    FAIL() << "no error for summation = \"kahan\"";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("kernel.\"k\".summation"), std::string::npos) << error.what();
  }
}

TEST(BudgetTest, TheExampleFileOverridesNamedKernelsOnly) {
  const BudgetTable table = BudgetTable::load(source_dir() / "docs/budgets.example.toml");
  const NamedKernel example("layernorm.f16.example", NORMCHECK_F32);
  const Budget a = table.for_kernel(example.info);
  EXPECT_EQ(a.max_ulp, 1);
  EXPECT_EQ(a.max_score, default_budget(example.info).max_score);  // unlisted keys keep defaults

  const NamedKernel vendor("layernorm.f32.vendor_fast", NORMCHECK_F32);
  const Budget v = table.for_kernel(vendor.info);
  EXPECT_EQ(v.max_score, 64.0);
  EXPECT_EQ(v.score_per_log2n, 2.0);
  EXPECT_EQ(v.max_abs_x, 1e4);
  EXPECT_EQ(v.special, SpecialPolicy::ignore);

  const NamedKernel wide("rmsnorm.f32.wide", NORMCHECK_F32);
  EXPECT_EQ(table.for_kernel(wide.info).compute, ref::Format::f64);

  const NamedKernel truncating("layernorm.bf16.truncating", NORMCHECK_F32);
  EXPECT_FALSE(table.for_kernel(truncating.info).bias_test);
  EXPECT_TRUE(table.for_kernel(wide.info).bias_test);  // the bias test is on unless opted out

  const NamedKernel other("layernorm.other", NORMCHECK_F32);
  const Budget o = table.for_kernel(other.info);
  EXPECT_EQ(o.max_score, default_budget(other.info).max_score);
  EXPECT_FALSE(o.max_ulp.has_value());
  EXPECT_EQ(BudgetTable().for_kernel(other.info).max_score, o.max_score);
}

TEST(BudgetTest, IntegersAreAcceptedWhereNumbersAre) {
  const auto path = write_temp("normcheck_budget_int.toml", "[kernel.\"k\"]\nmax_score = 12\nmax_abs_x = 100\n");
  const NamedKernel k("k", NORMCHECK_F32);
  const Budget b = BudgetTable::load(path).for_kernel(k.info);
  EXPECT_EQ(b.max_score, 12.0);
  EXPECT_EQ(b.max_abs_x, 100.0);
}

// An entry for a kernel that is not loaded would silently never apply.
TEST(BudgetTest, EntryForAnUnknownKernelIsAnError) {
  NamedKernel known("known.kernel", NORMCHECK_F32);
  const auto path = write_temp("normcheck_budget_unknown.toml",
                               "[kernel.\"known.kernel\"]\nmax_score = 3\n[kernel.\"typo.kernel\"]\nmax_score = 3\n");
  try {
    (void)load_budgets(path.string(), {known.info});
    FAIL() << "no error for an unknown kernel";
  } catch (const InputError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
    EXPECT_NE(message.find("kernel.\"typo.kernel\""), std::string::npos) << message;
  }
  const auto good = write_temp("normcheck_budget_known.toml", "[kernel.\"known.kernel\"]\nmax_score = 3\n");
  EXPECT_EQ(load_budgets(good.string(), {known.info}).for_kernel(known.info).max_score, 3.0);
  EXPECT_EQ(load_budgets("", {known.info}).for_kernel(known.info).max_score,
            default_budget(known.info).max_score);
}

TEST(BudgetTest, ErrorsNameTheFileAndTheKey) {
  struct Bad {
    const char* text;
    const char* expected;
  };
  const Bad cases[] = {
      {"[kernel.\"k\"]\nmax_scor = 3\n", "kernel.\"k\".max_scor: unknown key"},
      {"[kernel.\"k\"]\nmax_score = -3\n", "kernel.\"k\".max_score: expected a finite number > 0"},
      {"[kernel.\"k\"]\nmax_score = \"big\"\n", "kernel.\"k\".max_score"},
      {"[kernel.\"k\"]\nmax_ulp = -1\n", "kernel.\"k\".max_ulp: expected an integer >= 0"},
      {"[kernel.\"k\"]\nmax_ulp = 1.5\n", "kernel.\"k\".max_ulp"},
      {"[kernel.\"k\"]\nspecial = \"lenient\"\n", "kernel.\"k\".special"},
      {"[kernel.\"k\"]\ncompute = \"f8\"\n", "kernel.\"k\".compute"},
      {"[kernel.\"k\"]\nbias = \"no\"\n", "kernel.\"k\".bias: expected true or false"},
      {"[kernel.\"k\"]\nbias = 0\n", "kernel.\"k\".bias: expected true or false"},
      {"[kernels.\"k\"]\nmax_score = 3\n", "kernels: unknown key"},
      {"kernel = 3\n", "kernel: expected a table"},
      {"[kernel]\nk = 3\n", "kernel.\"k\": expected a table"},
      {"[kernel.\"k\"\nmax_score = 3\n", "bad TOML"},
  };
  for (const Bad& bad : cases) {
    const std::string message = load_error(bad.text);
    EXPECT_NE(message.find("normcheck_budget_test.toml"), std::string::npos) << message;
    EXPECT_NE(message.find(bad.expected), std::string::npos) << bad.text << " -> " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  EXPECT_THROW(BudgetTable::load("/nonexistent/budgets.toml"), InputError);
}

}  // namespace
}  // namespace normcheck::harness
