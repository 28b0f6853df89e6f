// Re-checks saved case files (`normcheck replay`). A case that names its kernel and
// expected verdict is checked against that verdict; corpus/regressions/ cases record
// "fail" for the mutant that produced them, so replay proves the bug is still caught.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "harness/budget.hpp"
#include "harness/case.hpp"
#include "impls/registry.hpp"

namespace normcheck::harness {

// Files named on the command line, directories expanded to their *.json files (sorted,
// not recursive). Throws InputError for a path that does not exist, or no case at all.
std::vector<std::filesystem::path> collect_case_files(const std::vector<std::filesystem::path>& inputs);

struct ReplayResult {
  std::filesystem::path file;
  std::string kernel;
  std::string expected;  // "pass" or "fail"
  std::string observed;  // "pass", "fail" (violation, crash or timeout) or "skipped"
  std::string detail;    // first violation, crash detail or skip reason

  // The recorded verdict still holds (a skip counts as holding: nothing to contradict).
  bool as_expected() const { return observed == "skipped" || observed == expected; }
  // A case recorded as failing now passes: the bug is fixed, or detection was lost.
  bool fixed() const { return expected == "fail" && observed == "pass"; }
};

struct ReplayOptions {
  // Kernel named with --kernel: overrides the file's kernel, and the case must pass
  // (the user is checking that kernel, not replaying a recorded verdict).
  std::optional<std::string> kernel;
  bool isolate = true;
};

// Replays one case: on its kernel (or the override), or, when it names none, on every
// non-mutant kernel of the same op that accepts it (fused kernels only for cases with a
// residual). Throws InputError for an unknown kernel name.
std::vector<ReplayResult> replay_case(const std::filesystem::path& file, const Case& c,
                                      const std::vector<impls::KernelInfo>& kernels,
                                      const BudgetTable& budgets, const ReplayOptions& options);

}  // namespace normcheck::harness
