// Every correct built-in backward kernel against the tests' own long double reference.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <ostream>
#include <regex>
#include <set>

#include "backward_test_support.hpp"
#include "impls/abi_names.hpp"
#include "impls/plugin_loader.hpp"
#include "impls/registry.hpp"

namespace normcheck::impls {
void PrintTo(const BackwardKernelInfo* kernel, std::ostream* out) { *out << kernel->kernel->name; }
}  // namespace normcheck::impls

namespace normcheck::impls::testing {
namespace {

// Allowed error beyond one ulp of the output, in units of u_compute * scale (the scales of
// backward_test_support.hpp). The fp32 kernels round about six times on the way to dx_i (g,
// xhat twice, the bracket's two operations, the product with rstd) and once more for the f32
// statistics; their row and column sums are in double, so the sums cost nothing at f32's u.
// The f64 kernel's row sums (8 lanes) and block sums round once per addition, a bound that
// grows like n / 8 + 32 + rows / 32 but whose actual error, for independent roundings, grows
// like its square root. Measured maxima are printed; 16 keeps margin for other seeds, and
// every mutant misses it by orders of magnitude.
constexpr double kTolerance = 16;

std::vector<const BackwardKernelInfo*> correct_kernels() {
  std::vector<const BackwardKernelInfo*> out;
  for (const BackwardKernelInfo& info : builtin_backward_kernels()) {
    if (!info.mutant) out.push_back(&info);
  }
  return out;
}

class BackwardKernel : public ::testing::TestWithParam<const BackwardKernelInfo*> {};

// rows around the block of 32 (1, 31, 33: one partial block, 100: three full ones and a
// partial one); n from 1 (dx exactly 0) through a vector tail (7) to more than 256.
TEST_P(BackwardKernel, MatchesTheReferenceOnRandomRows) {
  const BackwardKernelInfo& info = *GetParam();
  std::mt19937_64 rng(20261201);
  double worst = 0;
  for (const int64_t rows : {1, 31, 33, 100}) {
    for (const int64_t n : {1, 7, 64, 257}) {
      BackwardCase c = random_backward_case(*info.kernel, rng, rows, n);
      EXPECT_EQ(first_backward_mismatch(info, c, kTolerance, &worst), std::nullopt)
          << info.kernel->name << " rows " << rows << " n " << n;
      c.gamma.clear();  // NULL gamma: ones
      EXPECT_EQ(first_backward_mismatch(info, c, kTolerance, &worst), std::nullopt)
          << info.kernel->name << " rows " << rows << " n " << n << " without gamma";
    }
  }
  std::printf("  %s: worst error %.3g u * scale\n", info.kernel->name, worst);
}

// An offset row (|mean| >> std) and a large eps: the saved statistics and eps both matter.
TEST_P(BackwardKernel, MatchesTheReferenceWithOffsetRowsAndLargeEps) {
  const BackwardKernelInfo& info = *GetParam();
  std::mt19937_64 rng(7);
  BackwardCase c = random_backward_case(*info.kernel, rng, 40, 33, 8, 0.5);
  EXPECT_EQ(first_backward_mismatch(info, c, kTolerance), std::nullopt);
  c.eps = 0.25;
  EXPECT_EQ(first_backward_mismatch(info, c, kTolerance), std::nullopt);
}

// dgamma / dbeta are optional: NULL pointers are left alone, dx is the same.
TEST_P(BackwardKernel, ParameterGradientsAreOptional) {
  const BackwardKernelInfo& info = *GetParam();
  std::mt19937_64 rng(11);
  const BackwardCase c = random_backward_case(*info.kernel, rng, 35, 9);
  const BackwardOutputs with = run_backward_kernel(*info.kernel, c, true);
  const BackwardOutputs without = run_backward_kernel(*info.kernel, c, false);
  ASSERT_EQ(without.status, NORMCHECK_OK);
  EXPECT_TRUE(without.dgamma.empty() && without.dbeta.empty());
  ASSERT_EQ(with.dx.size(), without.dx.size());
  for (size_t i = 0; i < with.dx.size(); ++i) EXPECT_EQ(with.dx[i], without.dx[i]) << i;
}

// The forward rules: a NaN or infinity in a row's dy makes that row's dx, and only it, NaN;
// the column sums take the term as IEEE arithmetic does.
TEST_P(BackwardKernel, ANonFiniteGradientMakesItsRowNaN) {
  const BackwardKernelInfo& info = *GetParam();
  std::mt19937_64 rng(5);
  for (const long double bad : {std::numeric_limits<long double>::infinity(),
                                std::numeric_limits<long double>::quiet_NaN()}) {
    BackwardCase c = random_backward_case(*info.kernel, rng, 3, 8);
    c.dy[8 + 2] = bad;  // row 1, column 2
    const BackwardOutputs out = run_backward_kernel(*info.kernel, c);
    ASSERT_EQ(out.status, NORMCHECK_OK);
    for (size_t i = 0; i < out.dx.size(); ++i) {
      EXPECT_EQ(std::isnan(out.dx[i]), i >= 8 && i < 16) << info.kernel->name << " dx[" << i << "]";
    }
    EXPECT_FALSE(std::isfinite(out.dbeta[2])) << info.kernel->name;
    EXPECT_TRUE(std::isfinite(out.dbeta[3])) << info.kernel->name;
  }
}

TEST_P(BackwardKernel, NoRowsGiveZeroParameterGradients) {
  const BackwardKernelInfo& info = *GetParam();
  BackwardCase c;
  c.rows = 0;
  c.n = 5;
  c.gamma.assign(5, 1);
  const BackwardOutputs out = run_backward_kernel(*info.kernel, c);
  ASSERT_EQ(out.status, NORMCHECK_OK);
  for (const long double v : out.dgamma) EXPECT_EQ(v, 0);
  for (const long double v : out.dbeta) EXPECT_EQ(v, 0);
}

TEST_P(BackwardKernel, RefusesMalformedProblems) {
  const normcheck_backward_kernel& k = *GetParam()->kernel;
  EXPECT_EQ(k.run(&k, nullptr), NORMCHECK_ERROR);
  normcheck_backward_problem p{};
  p.rows = 1;
  p.n = 0;
  EXPECT_EQ(k.run(&k, &p), NORMCHECK_ERROR);
  p.n = 1;
  EXPECT_EQ(k.run(&k, &p), NORMCHECK_ERROR);  // no buffers
}

INSTANTIATE_TEST_SUITE_P(Builtins, BackwardKernel, ::testing::ValuesIn(correct_kernels()),
                         [](const auto& param) {
                           std::string name = param.param->kernel->name;
                           for (char& ch : name) ch = (ch == '.' || ch == '-') ? '_' : ch;
                           return name;
                         });

TEST(BackwardRegistry, TheContractedKernelsAreThere) {
  for (const char* name : {"layernorm_backward.f32", "layernorm_backward.f16", "layernorm_backward.bf16",
                           "layernorm_backward.f64", "rmsnorm_backward.f32", "rmsnorm_backward.bf16"}) {
    const BackwardKernelInfo* info = find_backward_kernel(builtin_backward_kernels(), name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_FALSE(info->mutant) << name;
    EXPECT_TRUE(info->thread_safe) << name;
  }
  EXPECT_EQ(find_backward_kernel(builtin_backward_kernels(), "layernorm_backward.f64")->compute, NORMCHECK_F64);
  EXPECT_EQ(find_backward_kernel(builtin_backward_kernels(), "layernorm.f32.two_pass"), nullptr);
}

// Names are unique among forward and backward kernels; each entry keeps to the ABI.
TEST(BackwardRegistry, NamesAreUniqueAmongAllKernelsAndMetadataConsistent) {
  const std::regex valid("[a-z0-9_.-]+");
  std::set<std::string> names;
  for (const KernelInfo& info : builtin_kernels()) names.insert(info.kernel->name);
  bool mutants_started = false;
  for (const BackwardKernelInfo& info : builtin_backward_kernels()) {
    ASSERT_NE(info.kernel, nullptr);
    const std::string name = info.kernel->name;
    EXPECT_TRUE(std::regex_match(name, valid)) << name;
    EXPECT_TRUE(names.insert(name).second) << "duplicate " << name;
    EXPECT_TRUE(is_valid_op(info.kernel->op)) << name;
    EXPECT_TRUE(is_valid_dtype(info.kernel->x_dtype) && is_valid_dtype(info.kernel->param_dtype) &&
                is_valid_dtype(info.kernel->y_dtype)) << name;
    EXPECT_EQ(info.kernel->flags & ~(NORMCHECK_THREAD_SAFE | kComputeFlagBits), 0u) << name;
    EXPECT_NE(info.kernel->run, nullptr) << name;
    EXPECT_EQ(info.mutant, name.rfind("mutant.", 0) == 0) << name;
    EXPECT_EQ(info.mutant, !info.bug_class.empty()) << name;
    EXPECT_EQ(info.origin, KernelOrigin::builtin) << name;
    EXPECT_EQ(&info.self(), info.kernel) << name;
    EXPECT_FALSE(mutants_started && !info.mutant) << name << ": correct kernels come before mutants";
    mutants_started = mutants_started || info.mutant;
  }
}

TEST(BackwardRegistry, DescribeMarksTheDirection) {
  const BackwardKernelInfo& f32 = *find_backward_kernel(builtin_backward_kernels(), "layernorm_backward.f32");
  EXPECT_EQ(describe_kernel(f32),
            "layernorm_backward.f32  backward op=layernorm x=f32 param=f32 dy=f32 "
            "flags=thread_safe|compute(f32) compute=f32 origin=builtin");
  EXPECT_EQ(origin_label(f32), "builtin");
  for (const BackwardKernelInfo& info : builtin_backward_kernels()) {
    const std::string line = describe_kernel(info);
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    EXPECT_EQ(line.find(std::string(info.kernel->name) + "  backward op="), 0u) << line;
    if (info.mutant) {
      EXPECT_NE(line.find("  mutant: " + info.bug_class), std::string::npos) << line;
    }
  }
}

}  // namespace
}  // namespace normcheck::impls::testing
