// Reads a differential target's configuration from the environment (target_config.hpp).
#include "fuzz/target_config.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <vector>

#include "harness/case.hpp"
#include "impls/plugin_loader.hpp"

namespace normcheck::fuzz {
namespace {

TargetConfig& mutable_config() {
  static TargetConfig config;
  return config;
}

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "normcheck fuzz target: %s\n", message.c_str());
  std::exit(2);
}

std::optional<impls::KernelInfo> default_kernel(const std::vector<impls::KernelInfo>& kernels, ref::Op op) {
  std::optional<impls::KernelInfo> any;
  for (const auto& info : kernels) {
    if (info.mutant || static_cast<ref::Op>(info.kernel->op) != op) continue;
    if (info.kernel->x_dtype == NORMCHECK_F32) return info;
    if (!any) any = info;
  }
  return any;
}

}  // namespace

void configure_target(ref::Op op) {
  TargetConfig& config = mutable_config();
  const std::string op_label(ref::op_name(op));
  try {
    config.plugin_path = env_or_empty("NORMCHECK_PLUGIN");
    std::vector<std::string> plugins;
    if (!config.plugin_path.empty()) plugins.push_back(config.plugin_path);
    // Kept for the program's life: KernelInfo points into it and plugins stay loaded.
    static const std::vector<impls::KernelInfo> kernels = impls::all_kernels(plugins);

    const std::string name = env_or_empty("NORMCHECK_KERNEL");
    if (name.empty()) {
      auto chosen = default_kernel(kernels, op);
      if (!chosen) fail("no correct built-in " + op_label + " kernel to default to; set NORMCHECK_KERNEL");
      config.kernel = *chosen;
    } else {
      const impls::KernelInfo* found = impls::find_kernel(kernels, name);
      if (!found) fail("NORMCHECK_KERNEL=" + name + ": no such kernel (see `normcheck list`)");
      config.kernel = *found;
    }
    if (static_cast<ref::Op>(config.kernel.kernel->op) != op) {
      fail(std::string("kernel ") + config.kernel.kernel->name + " is not a " + op_label +
           " kernel; use the other target");
    }
    const std::string budgets = env_or_empty("NORMCHECK_BUDGETS");
    config.budget = budgets.empty() ? harness::default_budget(config.kernel)
                                    : harness::BudgetTable::load(budgets).for_kernel(config.kernel);
  } catch (const std::exception& error) {
    fail(error.what());
  }
  config.shape = harness::kernel_shape(*config.kernel.kernel);
  config.decode_to = env_or_empty("NORMCHECK_FUZZ_DECODE_TO");
  if (const std::string only = env_or_empty("NORMCHECK_FUZZ_ONLY_CLASS"); !only.empty()) {
    config.only_class = harness::parse_violation_class(only);
    if (!config.only_class) fail("NORMCHECK_FUZZ_ONLY_CLASS: unknown violation class '" + only + "'");
  }
  config.finding_dir = env_or_empty("NORMCHECK_FINDING_DIR");
}

const TargetConfig& target_config() { return mutable_config(); }

}  // namespace normcheck::fuzz
