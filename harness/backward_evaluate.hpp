// Judges one backward kernel on one backward problem against the backward oracle: dx,
// dgamma and dbeta by the backward score (backward_measures.hpp) within the kernel's
// budget, special values by the forward rules, and the contracts of the call (status,
// memory, FP state, every output written).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/budget.hpp"
#include "harness/evaluate.hpp"
#include "harness/violation.hpp"
#include "impls/registry.hpp"
#include "reference/backward_problem.hpp"

namespace normcheck::harness {

// A backward case is judged into the forward's CaseEvaluation (its per-output error lists
// and signed-error tally stay empty), so that isolation, the check loop and every output
// read one type whichever pass a kernel computes.
using BackwardEvaluation = CaseEvaluation;

// The kernel's op and dtypes must be the problem's (backward_kernel_accepts). Runs the
// kernel in this process. The score limit of dx is score_limit(budget, n), of dgamma and
// dbeta score_limit(budget, rows): their sums run over the rows.
BackwardEvaluation evaluate_backward_case(const impls::BackwardKernelInfo& kernel, const ref::BackwardProblem& problem,
                                          const Budget& budget);


}  // namespace normcheck::harness
