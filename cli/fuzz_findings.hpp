// Turns what a `normcheck fuzz` run found into findings: the differential findings its
// targets recorded in the run's finding store (harness/finding_store.hpp), and the crash
// artifacts libFuzzer wrote (each reproduced to read its signature); deduplicated by
// signature, minimized with the harness shrinker, one readable regression case each.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "harness/budget.hpp"
#include "harness/violation.hpp"
#include "impls/registry.hpp"

namespace normcheck::harness::cli {

// The kernel a fuzz run tests: a forward one (layernorm_fuzzer, rmsnorm_fuzzer) or a
// backward one (backward_fuzzer, whose findings are backward cases).
using FuzzKernel = std::variant<impls::KernelInfo, impls::BackwardKernelInfo>;

std::string kernel_name(const FuzzKernel& kernel);
// The libFuzzer target that tests it: by a forward kernel's op, or the backward target.
std::string fuzz_target_name(const FuzzKernel& kernel);

struct FuzzTarget {
  std::filesystem::path binary;     // e.g. build/fuzz-fast/fuzz/layernorm_fuzzer
  std::filesystem::path artifacts;  // where this binary's processes write crash artifacts
  FuzzKernel kernel;
  std::string plugin;               // "" when the kernel is built in
  std::string budgets;              // "" for the default budgets
  bool sanitizers = false;          // the AddressSanitizer + UBSan build (else the throughput one)
};

struct FuzzFinding {
  std::string signature;            // "<kernel>-<op>-<class>"
  ViolationClass klass = ViolationClass::crash;
  std::string meaning;              // what a class only the fuzz build sees means ("" otherwise)
  std::filesystem::path artifact;   // the smallest artifact (or the stored case) of this signature
  std::int64_t hits = 0;            // inputs with this signature (artifacts, or the store's count)
  std::filesystem::path case_file;  // written regression case ("" when already known or not saved)
  std::string save_error;           // why the case could not be written ("PATH: cannot write: REASON")
  std::filesystem::path known_as;   // an existing case in the corpus with this signature
  std::string detail;               // first violation of the minimized case, or the crash
  bool minimized = false;
  bool reproduced_in_release = true;  // the release build agrees it fails
  std::string unreproduced_note;      // why not, when it does not
};

// The environment a fuzz binary needs to test this kernel.
std::map<std::string, std::string> fuzz_target_env(const FuzzTarget& target);

// targets: the builds that ran (their artifacts are reproduced with the binary that
// wrote them); findings_dir: the run's finding store; work_dir: scratch space.
std::vector<FuzzFinding> collect_fuzz_findings(const std::vector<FuzzTarget>& targets,
                                               const std::filesystem::path& findings_dir,
                                               const std::filesystem::path& work_dir,
                                               const std::filesystem::path& regressions_dir);

}  // namespace normcheck::harness::cli
