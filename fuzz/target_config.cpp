// Reads a differential target's configuration from the environment (target_config.hpp).
#include "fuzz/target_config.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <vector>

#include "fuzz/backward_input.hpp"
#include "harness/case.hpp"
#include "harness/memory_reuse.hpp"
#include "harness/replay_line.hpp"
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

// The first correct kernel of the op (any op when none is given), f32 x preferred.
template <class Info>
std::optional<Info> default_kernel(const std::vector<Info>& kernels, std::optional<ref::Op> op) {
  std::optional<Info> any;
  for (const auto& info : kernels) {
    if (info.mutant || (op && static_cast<ref::Op>(info.kernel->op) != *op)) continue;
    if (info.kernel->x_dtype == NORMCHECK_F32) return info;
    if (!any) any = info;
  }
  return any;
}

const impls::KernelInfo* find_in(const std::vector<impls::KernelInfo>& kernels, const std::string& name) {
  return impls::find_kernel(kernels, name);
}
const impls::BackwardKernelInfo* find_in(const std::vector<impls::BackwardKernelInfo>& kernels,
                                         const std::string& name) {
  return impls::find_backward_kernel(kernels, name);
}

harness::Budget default_budget_of(const impls::KernelInfo& kernel) { return harness::default_budget(kernel); }
harness::Budget default_budget_of(const impls::BackwardKernelInfo& kernel) {
  return harness::default_backward_budget(kernel);
}

// NORMCHECK_KERNEL among `kernels` (or the default of `op`; no op: the backward kernels)
// and its budget from NORMCHECK_BUDGETS.
template <class Info>
Info chosen_kernel(const std::vector<Info>& kernels, std::optional<ref::Op> op, harness::Budget& budget) {
  const std::string kind = op ? "" : "backward ";
  Info chosen;
  const std::string name = env_or_empty("NORMCHECK_KERNEL");
  if (name.empty()) {
    auto found = default_kernel(kernels, op);
    const std::string of = op ? std::string(ref::op_name(*op)) + " " : kind;
    if (!found) fail("no correct built-in " + of + "kernel to default to; set NORMCHECK_KERNEL");
    chosen = *found;
  } else {
    const Info* found = find_in(kernels, name);
    if (!found) fail("NORMCHECK_KERNEL=" + name + ": no such " + kind + "kernel (see `normcheck list`)");
    chosen = *found;
  }
  const std::string budgets = env_or_empty("NORMCHECK_BUDGETS");
  budget = budgets.empty() ? default_budget_of(chosen) : harness::BudgetTable::load(budgets).for_kernel(chosen);
  return chosen;
}

std::vector<std::string> plugin_list(TargetConfig& config) {
  config.plugin_path = env_or_empty("NORMCHECK_PLUGIN");
  std::vector<std::string> plugins;
  if (!config.plugin_path.empty()) plugins.push_back(config.plugin_path);
  return plugins;
}

// The modes `normcheck fuzz` drives a target in, the same for every differential target.
void read_modes(TargetConfig& config) {
  config.decode_to = env_or_empty("NORMCHECK_FUZZ_DECODE_TO");
  if (const std::string only = env_or_empty("NORMCHECK_FUZZ_ONLY_CLASS"); !only.empty()) {
    config.only_class = harness::parse_violation_class(only);
    if (!config.only_class) fail("NORMCHECK_FUZZ_ONLY_CLASS: unknown violation class '" + only + "'");
  }
  config.finding_dir = env_or_empty("NORMCHECK_FINDING_DIR");
}

}  // namespace

harness::Verdict TargetConfig::expected_verdict() const {
  return backward_kernel ? harness::expected_verdict(*backward_kernel) : harness::expected_verdict(kernel);
}

void configure_target(ref::Op op) {
  harness::keep_freed_memory_for_reuse();
  TargetConfig& config = mutable_config();
  const std::string op_label(ref::op_name(op));
  try {
    // Kept for the program's life: KernelInfo points into it and plugins stay loaded.
    static const std::vector<impls::KernelInfo> kernels = impls::all_kernels(plugin_list(config));
    config.kernel = chosen_kernel(kernels, op, config.budget);
    if (static_cast<ref::Op>(config.kernel.kernel->op) != op) {
      fail(std::string("kernel ") + config.kernel.kernel->name + " is not a " + op_label +
           " kernel; use the other target");
    }
  } catch (const std::exception& error) {
    fail(error.what());
  }
  config.shape = harness::kernel_shape(*config.kernel.kernel);
  read_modes(config);
}

void configure_backward_target() {
  harness::keep_freed_memory_for_reuse();
  TargetConfig& config = mutable_config();
  try {
    static const std::vector<impls::BackwardKernelInfo> kernels = impls::all_backward_kernels(plugin_list(config));
    config.backward_kernel = chosen_kernel(kernels, std::nullopt, config.budget);
  } catch (const std::exception& error) {
    fail(error.what());
  }
  config.shape = carrier_shape(*config.backward_kernel->kernel);
  read_modes(config);
}

const TargetConfig& target_config() { return mutable_config(); }

}  // namespace normcheck::fuzz
