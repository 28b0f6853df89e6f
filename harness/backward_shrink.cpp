// A backward problem is shrunk as the forward problem that carries dy where a fused
// problem carries its residual: both are rows x n arrays that lose rows and columns with
// x, and both are simplified value by value. The forward shrinker's other moves (dropping
// the residual, values representable in x's format but not in dy's) give candidates with
// no valid backward problem, which are refused without being judged.
#include "harness/backward_shrink.hpp"

#include <algorithm>

#include "reference/format.hpp"

namespace normcheck::harness {
namespace {

ref::NormProblem carrier_of(const ref::BackwardProblem& p) {
  ref::NormProblem carrier = ref::forward_problem(p);
  carrier.residual = p.dy;
  return carrier;
}

ref::BackwardProblem backward_of(const ref::NormProblem& carrier) {
  return ref::backward_problem(carrier, carrier.residual);
}

// The carrier's dy must still be a dy: present, and every value in dy's format.
bool carries_a_backward_problem(const ref::NormProblem& carrier) {
  if (carrier.residual.size() != carrier.x.size()) return false;
  return std::all_of(carrier.residual.begin(), carrier.residual.end(),
                     [&](double v) { return ref::is_representable(carrier.y_format, v); });
}

}  // namespace

BackwardShrinkResult minimize_backward_problem(const ref::BackwardProblem& failing,
                                               const BackwardStillFails& still_fails,
                                               const ShrinkLimits& limits) {
  const StillFails carrier_fails = [&](const ref::NormProblem& candidate) {
    return carries_a_backward_problem(candidate) && still_fails(backward_of(candidate));
  };
  const ShrinkResult shrunk = minimize_problem(carrier_of(failing), carrier_fails, limits);
  return BackwardShrinkResult{backward_of(shrunk.problem), shrunk.evaluations, shrunk.accepted};
}

}  // namespace normcheck::harness
