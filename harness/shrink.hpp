// Delta-debugging minimizer for failing problems: fewer rows, fewer columns, parameters
// and residual removed, simpler eps and values, keeping the same violation class.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "reference/oracle.hpp"

namespace normcheck::harness {

// Whether a candidate still fails with the violation class being minimized. Candidates
// are always valid problems (lengths consistent, values representable).
using StillFails = std::function<bool(const ref::NormProblem& candidate)>;

struct ShrinkLimits {
  int max_evaluations = 3000;
  // Elements (rows * n) judged over all candidates at most: judging costs ~100-300 ns an
  // element, so this bounds a finding that will not shrink (a row of 65,535 that must
  // stay that long) to a few seconds, where 3000 candidates of 2^18 would take minutes.
  std::int64_t max_elements_evaluated = std::int64_t{1} << 23;
  // Per-value simplification only below this many values (beyond it: whole-vector steps).
  std::size_t max_values_for_pointwise = 128;
};

struct ShrinkResult {
  ref::NormProblem problem;
  int evaluations = 0;
  int accepted = 0;
};

// Greedy, deterministic: repeats the passes until none makes progress or the evaluation
// budget is spent. `failing` must fail (still_fails(failing) is assumed, not rechecked).
ShrinkResult minimize_problem(const ref::NormProblem& failing, const StillFails& still_fails,
                              const ShrinkLimits& limits = {});

// Elements of a problem as minimization counts them: rows * n.
inline std::int64_t problem_elements(const ref::NormProblem& p) { return p.rows * p.n; }

}  // namespace normcheck::harness
