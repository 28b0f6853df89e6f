// What a differential fuzz target reads from its environment once, in LLVMFuzzerInitialize:
// the kernel under test, its budget, and the modes `normcheck fuzz` drives it in.
#pragma once

#include <optional>
#include <string>

#include "fuzz/fuzz_input.hpp"
#include "harness/budget.hpp"
#include "harness/verdict.hpp"
#include "harness/violation.hpp"
#include "impls/registry.hpp"
#include "reference/oracle.hpp"

namespace normcheck::fuzz {

struct TargetConfig {
  impls::KernelInfo kernel;  // the forward targets' kernel
  // The backward target's kernel (configure_backward_target); then `kernel` is unset and
  // `shape` is its carrier shape (backward_input.hpp).
  std::optional<impls::BackwardKernelInfo> backward_kernel;
  harness::Budget budget;
  harness::KernelShape shape;
  std::string plugin_path;  // NORMCHECK_PLUGIN, "" when none
  // NORMCHECK_FUZZ_DECODE_TO: write each input's case file there and judge nothing
  // (how `normcheck fuzz` turns crash artifacts into readable cases).
  std::string decode_to;
  // NORMCHECK_FUZZ_ONLY_CLASS: report only violations of this class ("crash" reports
  // none), so libFuzzer's -minimize_crash keeps the finding it started from.
  std::optional<harness::ViolationClass> only_class;
  // NORMCHECK_FINDING_DIR: record findings in this directory's finding store and go on
  // fuzzing (harness/finding_store.hpp); "" (unset): a finding aborts.
  std::string finding_dir;

  const char* kernel_name() const { return backward_kernel ? backward_kernel->kernel->name : kernel.kernel->name; }
  harness::Verdict expected_verdict() const;
};

// Reads NORMCHECK_KERNEL (default: the first correct built-in kernel of the op, f32 x
// preferred), NORMCHECK_PLUGIN, NORMCHECK_BUDGETS (TOML) and the modes above. A bad
// setting prints one line and exits with status 2: a fuzzer must not start misconfigured.
void configure_target(ref::Op op);
// The same for the backward target, over the backward kernels (ABI version 2) of either
// op: NORMCHECK_KERNEL defaults to the first correct built-in one, f32 x preferred.
void configure_backward_target();
const TargetConfig& target_config();

}  // namespace normcheck::fuzz
