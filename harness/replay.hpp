// Re-checks saved case files (`normcheck replay`). A case that names its kernel and
// expected verdict is checked against that verdict; corpus/regressions/ cases record
// "fail" for the mutant that produced them, so replay proves the bug is still caught.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "harness/budget.hpp"
#include "harness/case.hpp"
#include "harness/isolation.hpp"
#include "harness/verdict.hpp"
#include "impls/registry.hpp"

namespace normcheck::harness {

// Files named on the command line, directories expanded to their *.json files (sorted,
// not recursive). Throws InputError for a path that does not exist, or no case at all.
std::vector<std::filesystem::path> collect_case_files(const std::vector<std::filesystem::path>& inputs);

struct ReplayResult {
  std::filesystem::path file;
  std::string kernel;
  Verdict expected = Verdict::pass;     // pass or fail
  Verdict observed = Verdict::skipped;  // pass, fail (violation, crash or timeout) or skipped
  std::string detail;                   // first violation, crash detail or skip reason
  // Skipped because the case is not a problem this kernel computes (problem_mismatch):
  // it was not run at all.
  bool incompatible = false;

  // The recorded verdict still holds. A skip holds only for an expected pass: a case
  // recorded as failing that can no longer run proves nothing about the bug.
  bool as_expected() const {
    return observed == expected || (observed == Verdict::skipped && expected == Verdict::pass);
  }
  // A case recorded as failing now passes: the bug is fixed, or detection was lost.
  bool fixed() const { return expected == Verdict::fail && observed == Verdict::pass; }
};

struct ReplayOptions {
  // Kernel named with --kernel: overrides the file's kernel and its expect, which becomes
  // that kernel's expected_verdict() (pass; fail for a mutant).
  std::optional<std::string> kernel;
  bool isolate = true;
  std::chrono::milliseconds case_timeout = kDefaultCaseTimeout;
};

// Replays one case: on its kernel (or the override), or, when it names none, on every
// kernel of default_check_kernels() (no mutants, no oneDNN baselines) that computes
// exactly the case (problem_mismatch() == ""): a case with a residual on fused kernels
// with the matching residual_sum, one without on fused and non-fused kernels alike (the
// ABI lets a fused kernel take residual = NULL). A case is never adapted to a kernel:
// on a named kernel it does not match, the result is skipped with incompatible set.
// Throws InputError for an unknown kernel name.
// A backward case (direction backward) runs the same way on backward kernels: the named
// one, or every correct backward kernel of its op and dtypes. A case of the other pass is
// incompatible with a named kernel, like any other mismatch.
std::vector<ReplayResult> replay_case(const std::filesystem::path& file, const Case& c,
                                      const std::vector<impls::KernelInfo>& kernels,
                                      const std::vector<impls::BackwardKernelInfo>& backward_kernels,
                                      const BudgetTable& budgets, const ReplayOptions& options);

}  // namespace normcheck::harness
