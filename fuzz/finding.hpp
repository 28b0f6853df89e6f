// How a fuzz target reports a finding: the case as JSON, what broke, the replay command,
// then an abort whose signature and stack dedupe (`normcheck-finding: <kernel>-<op>-<class>`).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fuzz/target_config.hpp"
#include "harness/evaluate.hpp"
#include "harness/violation.hpp"

namespace normcheck::fuzz {

// "<kernel>-<op>-<class>": one signature per bug class and kernel, so a night of fuzzing
// that hits one bug ten thousand times reports it once.
std::string finding_signature(std::string_view kernel, ref::Op op, harness::ViolationClass klass);

// The line `normcheck fuzz` and ClusterFuzz search for in a crash log.
inline constexpr std::string_view kFindingPrefix = "normcheck-finding: ";

// Prints the finding (capped at 10 violation lines) and aborts. Each class aborts from
// its own function, so stack-based deduplication (ClusterFuzz) also tells classes apart.
[[noreturn]] void report_finding(const TargetConfig& config, const ref::NormProblem& problem,
                                 harness::ViolationClass klass, const std::vector<harness::Violation>& violations);

}  // namespace normcheck::fuzz
