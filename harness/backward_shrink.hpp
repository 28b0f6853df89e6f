// Minimizes a failing backward problem with the forward shrinker (shrink.hpp): fewer rows,
// fewer columns, gamma removed, simpler eps and values, keeping the same violation class.
#pragma once

#include <functional>

#include "harness/shrink.hpp"
#include "reference/backward_problem.hpp"

namespace normcheck::harness {

using BackwardStillFails = std::function<bool(const ref::BackwardProblem& candidate)>;

struct BackwardShrinkResult {
  ref::BackwardProblem problem;
  int evaluations = 0;
  int accepted = 0;
};

// Same contract as minimize_problem: greedy, deterministic, `failing` must fail. dy
// shrinks with x (rows and columns removed together) and its values are simplified
// within dy's format; candidates are always valid backward problems.
BackwardShrinkResult minimize_backward_problem(const ref::BackwardProblem& failing,
                                               const BackwardStillFails& still_fails,
                                               const ShrinkLimits& limits = {});

}  // namespace normcheck::harness
