// The built-in registry's invariants and the names / descriptions the CLI prints.
#include "impls/registry.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "impls/abi_names.hpp"
#include "impls/plugin_loader.hpp"

extern "C" int normcheck_abi_c_check(void);

namespace normcheck::impls {
namespace {

TEST(KernelAbi, HeaderCompilesAsC11AndItsKernelRuns) { EXPECT_EQ(normcheck_abi_c_check(), 1); }

TEST(Registry, NamesAreUniqueValidAndMetadataConsistent) {
  const std::regex valid("[a-z0-9_.-]+");
  std::set<std::string> names;
  for (const KernelInfo& info : builtin_kernels()) {
    ASSERT_NE(info.kernel, nullptr);
    const std::string name = info.kernel->name;
    EXPECT_TRUE(std::regex_match(name, valid)) << name;
    EXPECT_TRUE(names.insert(name).second) << "duplicate " << name;
    EXPECT_TRUE(is_valid_op(info.kernel->op)) << name;
    EXPECT_TRUE(is_valid_dtype(info.kernel->x_dtype) && is_valid_dtype(info.kernel->param_dtype) &&
                is_valid_dtype(info.kernel->y_dtype)) << name;
    EXPECT_EQ(info.kernel->flags & ~kKnownFlags, 0u) << name;
    EXPECT_NE(info.kernel->run, nullptr) << name;
    EXPECT_EQ(info.mutant, name.rfind("mutant.", 0) == 0) << name;
    EXPECT_EQ(info.mutant, !info.bug_class.empty()) << name;
    EXPECT_NE(info.origin, KernelOrigin::plugin) << name;
    // A rounded-sum claim only makes sense for a fused kernel.
    if (info.kernel->flags & NORMCHECK_NORMALIZES_ROUNDED_SUM) {
      EXPECT_TRUE(info.kernel->flags & NORMCHECK_FUSED_RESIDUAL) << name;
    }
  }
  EXPECT_GE(names.size(), 13u + 15u);
}

TEST(Registry, CorrectKernelsThenAdaptersThenMutants) {
  int stage = 0;  // 0 builtin correct, 1 onednn, 2 mutants
  for (const KernelInfo& info : builtin_kernels()) {
    const int s = info.mutant ? 2 : info.origin == KernelOrigin::onednn ? 1 : 0;
    EXPECT_GE(s, stage) << info.kernel->name << " is out of order";
    stage = std::max(stage, s);
  }
  EXPECT_EQ(stage, 2);
}

TEST(Registry, FindKernelByName) {
  const auto& kernels = builtin_kernels();
  const KernelInfo* two_pass = find_kernel(kernels, "layernorm.f32.two_pass");
  ASSERT_NE(two_pass, nullptr);
  EXPECT_STREQ(two_pass->kernel->name, "layernorm.f32.two_pass");
  EXPECT_EQ(find_kernel(kernels, "layernorm.f32"), nullptr);
  EXPECT_EQ(find_kernel(kernels, ""), nullptr);
}

TEST(AbiNames, DtypesOpsAndFlags) {
  EXPECT_EQ(dtype_name(NORMCHECK_F16), "f16");
  EXPECT_EQ(dtype_name(NORMCHECK_BF16), "bf16");
  EXPECT_EQ(dtype_name(NORMCHECK_F32), "f32");
  EXPECT_EQ(dtype_name(NORMCHECK_F64), "f64");
  EXPECT_EQ(dtype_name(static_cast<normcheck_dtype>(0)), "invalid");
  EXPECT_EQ(op_name(NORMCHECK_LAYERNORM), "layernorm");
  EXPECT_EQ(op_name(NORMCHECK_RMSNORM), "rmsnorm");
  EXPECT_EQ(op_name(static_cast<normcheck_op>(3)), "invalid");
  EXPECT_EQ(flags_description(0), "none");
  EXPECT_EQ(flags_description(NORMCHECK_FUSED_RESIDUAL | NORMCHECK_WRITES_STATS),
            "fused_residual|writes_stats");
  EXPECT_EQ(flags_description(NORMCHECK_NORMALIZES_ROUNDED_SUM | (1u << 8)), "normalizes_rounded_sum|compute(f16)");
  EXPECT_EQ(flags_description(NORMCHECK_THREAD_SAFE | NORMCHECK_COMPUTE(NORMCHECK_F64)), "thread_safe|compute(f64)");
  EXPECT_EQ(flags_description(NORMCHECK_NORMALIZES_ROUNDED_SUM | (1u << 20)),
            "normalizes_rounded_sum|unknown(0x100000)");
}

TEST(AbiNames, DescribeKernelIsOneLineWithEverything) {
  const auto& kernels = builtin_kernels();
  const std::string fused = describe_kernel(*find_kernel(kernels, "fused_add_layernorm.bf16"));
  EXPECT_EQ(fused,
            "fused_add_layernorm.bf16  op=layernorm x=bf16 param=bf16 y=bf16 "
            "flags=fused_residual|normalizes_rounded_sum|writes_stats compute=f32 origin=builtin");
  const std::string half = describe_kernel(*find_kernel(kernels, "layernorm.f16.pure_half"));
  EXPECT_NE(half.find("compute=f16"), std::string::npos) << half;
  const KernelInfo& m = *find_kernel(kernels, "mutant.layernorm.unbiased_variance");
  const std::string line = describe_kernel(m);
  EXPECT_NE(line.find("  mutant: " + m.bug_class), std::string::npos) << line;
  for (const KernelInfo& info : kernels) {
    EXPECT_EQ(describe_kernel(info).find('\n'), std::string::npos) << info.kernel->name;
  }
}

}  // namespace
}  // namespace normcheck::impls
