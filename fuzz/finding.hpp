// How a fuzz target reports a finding. Under `normcheck fuzz` (NORMCHECK_FINDING_DIR set)
// it is recorded in the run's finding store (harness/finding_store.hpp) and fuzzing goes
// on; otherwise (by hand, ClusterFuzz) it is printed (the case as JSON, what broke, the
// replay command) and the process aborts with a signature and a stack that dedupe
// (`normcheck-finding: <kernel>-<op>-<class>`).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fuzz/target_config.hpp"
#include "harness/evaluate.hpp"
#include "harness/violation.hpp"
#include "reference/backward_problem.hpp"

namespace normcheck::fuzz {

// "<kernel>-<op>-<class>": one signature per bug class and kernel, so a night of fuzzing
// that hits one bug ten thousand times reports it once.
std::string finding_signature(std::string_view kernel, ref::Op op, harness::ViolationClass klass);

// The line `normcheck fuzz` and ClusterFuzz search for in a crash log.
inline constexpr std::string_view kFindingPrefix = "normcheck-finding: ";

// With a finding dir: counts the hit, keeps the case when it is the smallest of its
// signature, prints the first hit of each signature, and returns. Without: prints the
// finding (capped at 10 violation lines) and aborts; each class aborts from its own
// function, so stack-based deduplication (ClusterFuzz) also tells classes apart.
void report_finding(const TargetConfig& config, const ref::NormProblem& problem, harness::ViolationClass klass,
                    const std::vector<harness::Violation>& violations);
// The backward target's: the case is a backward case file (harness::backward_case).
void report_finding(const TargetConfig& config, const ref::BackwardProblem& problem, harness::ViolationClass klass,
                    const std::vector<harness::Violation>& violations);

}  // namespace normcheck::fuzz
