// Judges one backward kernel on one backward problem against the backward oracle: dx,
// dgamma and dbeta by the backward score (backward_measures.hpp) within the kernel's
// budget, special values by the forward rules, and the contracts of the call (status,
// memory, FP state, every output written).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/budget.hpp"
#include "harness/violation.hpp"
#include "impls/registry.hpp"
#include "reference/backward_problem.hpp"

namespace normcheck::harness {

struct BackwardEvaluation {
  bool skipped = false;  // the kernel answered UNSUPPORTED
  std::string skip_reason;
  std::int64_t outputs_checked = 0;
  double max_ulp_error = 0;
  double max_score = 0;
  std::int64_t max_ulp_distance = 0;
  std::int64_t special_mismatches = 0;
  std::vector<Violation> violations;

  bool passed() const { return violations.empty(); }
};

// The kernel's op and dtypes must be the problem's (backward_kernel_accepts). Runs the
// kernel in this process. The score limit of dx is score_limit(budget, n), of dgamma and
// dbeta score_limit(budget, rows): their sums run over the rows.
BackwardEvaluation evaluate_backward_case(const impls::BackwardKernelInfo& kernel, const ref::BackwardProblem& problem,
                                          const Budget& budget);

// The default budget of a backward kernel: the forward defaults for its declared compute
// precision (docs/budgets.md).
Budget default_backward_budget(const impls::BackwardKernelInfo& kernel);

}  // namespace normcheck::harness
