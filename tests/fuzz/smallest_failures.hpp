// What the finding store of a differential target must hold after a test fed it inputs
// whose verdicts the test computed itself: per signature the smallest failing input seen,
// as a case file naming the mutant, expecting "fail" and noting its signature.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fuzz/finding.hpp"
#include "harness/case.hpp"
#include "harness/evaluate.hpp"
#include "harness/finding_store.hpp"

namespace normcheck::fuzz::testing_support {

class SmallestFailures {
 public:
  void add(const std::string& signature, std::int64_t elements) {
    auto [it, inserted] = smallest_.try_emplace(signature, elements);
    if (!inserted) it->second = std::min(it->second, elements);
  }
  bool has(const std::string& signature) const { return smallest_.count(signature) != 0; }

  // Checks each signature's case in dir (note, kernel, expect, size: harness::case_elements)
  // and returns the cases, for the caller to judge again.
  std::vector<harness::Case> expect_kept(const std::filesystem::path& dir, const std::string& mutant) const {
    std::vector<harness::Case> kept;
    for (const auto& [signature, elements] : smallest_) {
      const std::filesystem::path file = dir / (signature + ".json");
      EXPECT_TRUE(std::filesystem::exists(file)) << signature;
      if (!std::filesystem::exists(file)) continue;
      kept.push_back(harness::read_case_file(file));
      EXPECT_EQ(kept.back().note, signature);
      EXPECT_EQ(kept.back().kernel, mutant);
      EXPECT_EQ(kept.back().expect, harness::Verdict::fail);
      EXPECT_EQ(harness::case_elements(kept.back()), elements) << signature << ": not the smallest failing input";
    }
    return kept;
  }

 private:
  std::map<std::string, std::int64_t> smallest_;  // signature -> fewest elements of a failing input
};

// What judge(bytes) returns: the verdict the target must reach, computed by the test itself,
// and the elements of the decoded case.
struct Judged {
  harness::CaseEvaluation verdict;
  std::int64_t elements = 0;
};

// Feeds each input to the target's body (which must return 0: a finding no longer aborts)
// and records the signatures each failing input must leave in the store; returns how many
// inputs failed.
template <class Judge>
int feed_inputs(const std::vector<std::vector<std::uint8_t>>& inputs, int (*body)(const std::uint8_t*, std::size_t),
                const Judge& judge, const std::string& kernel, ref::Op op, SmallestFailures& smallest) {
  int failed = 0;
  for (const auto& bytes : inputs) {
    const Judged judged = judge(bytes);
    EXPECT_EQ(body(bytes.data(), bytes.size()), 0);
    if (judged.verdict.passed()) continue;
    ++failed;
    for (const auto& violation : judged.verdict.violations) {
      smallest.add(finding_signature(kernel, op, violation.klass), judged.elements);
    }
  }
  return failed;
}

}  // namespace normcheck::fuzz::testing_support
