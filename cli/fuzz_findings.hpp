// Turns the crash artifacts of a `normcheck fuzz` run into findings: reproduces each to
// read its signature, dedupes by signature, minimizes with the harness shrinker and
// writes one readable regression case per signature.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "harness/budget.hpp"
#include "harness/violation.hpp"
#include "impls/registry.hpp"

namespace normcheck::harness::cli {

struct FuzzTarget {
  std::filesystem::path binary;     // e.g. build/fuzz/fuzz/layernorm_fuzzer
  impls::KernelInfo kernel;
  std::string plugin;               // "" when the kernel is built in
  std::string budgets;              // "" for the default budgets
};

struct FuzzFinding {
  std::string signature;            // "<kernel>-<op>-<class>"
  ViolationClass klass = ViolationClass::crash;
  std::string meaning;              // what a class only the fuzz build sees means ("" otherwise)
  std::filesystem::path artifact;   // the smallest artifact with this signature
  int hits = 0;                     // artifacts with this signature
  std::filesystem::path case_file;  // written regression case ("" when already known or not saved)
  std::string save_error;           // why the case could not be written ("PATH: cannot write: REASON")
  std::filesystem::path known_as;   // an existing case in the corpus with this signature
  std::string detail;               // first violation of the minimized case, or the crash
  bool minimized = false;
  bool reproduced_in_release = true;  // the release build agrees it fails
};

// The environment a fuzz binary needs to test this kernel.
std::map<std::string, std::string> fuzz_target_env(const FuzzTarget& target);

std::vector<FuzzFinding> collect_fuzz_findings(const FuzzTarget& target, const std::filesystem::path& artifacts_dir,
                                               const std::filesystem::path& work_dir,
                                               const std::filesystem::path& regressions_dir);

}  // namespace normcheck::harness::cli
