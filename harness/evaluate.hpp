// Judges one kernel on one problem against the oracle: error measures, budget and the
// exact contracts. The check command, the properties, the fuzzers and the report all
// use this one function, so a verdict means the same thing everywhere.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/budget.hpp"
#include "harness/signed_error.hpp"
#include "harness/violation.hpp"
#include "impls/registry.hpp"
#include "reference/oracle.hpp"

namespace normcheck::harness {

// One named output array's part of an evaluation (backward: dx, dgamma, dbeta).
struct OutputGroup {
  std::string name;
  std::int64_t outputs = 0;  // outputs checked
  double max_ulp_error = 0;
  double max_score = 0;
};

struct CaseEvaluation {
  bool skipped = false;  // kernel answered UNSUPPORTED, or the case is outside its domain
  std::string skip_reason;
  std::int64_t outputs_checked = 0;
  double max_ulp_error = 0;
  double max_score = 0;
  std::int64_t max_ulp_distance = 0;
  std::int64_t special_mismatches = 0;
  std::vector<double> ulp_errors;  // per finite output, when EvaluateOptions::collect_errors
  std::vector<double> scores;      // likewise
  SignedErrorTally signed_errors;  // this case's part of the rounding-bias statistics
  // Per output array, in the judge's order; empty for the forward pass (one array, y).
  std::vector<OutputGroup> groups;
  std::vector<Violation> violations;

  bool passed() const { return violations.empty(); }
};

struct EvaluateOptions {
  bool check_contracts = true;  // also the multi-run contracts (row isolation, batch invariance)
  bool collect_errors = false;
};

// The problem is first adapted to the kernel (adapt_problem). Runs the kernel in this
// process: callers that must survive a crash run it in a child (see harness/isolation).
CaseEvaluation evaluate_case(const impls::KernelInfo& kernel, const ref::NormProblem& problem,
                             const Budget& budget, const EvaluateOptions& options = {});

}  // namespace normcheck::harness
