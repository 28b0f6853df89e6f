// RapidCheck's greedy shrinking search, as its shrinking runs: take the first simpler value
// that still fails, repeatedly. The generator tests use it to see where a failing case
// shrinks to without running a failing property.
#pragma once

#include <rapidcheck.h>

namespace normcheck::testing {

// The case `current` shrinks to under `fails` (a predicate on the value), in at most
// max_steps steps.
template <class T, class Fails>
rc::Shrinkable<T> greedy_shrink(rc::Shrinkable<T> current, const Fails& fails, int max_steps = 200) {
  for (int step = 0; step < max_steps; ++step) {
    bool simpler = false;
    auto candidates = current.shrinks();
    for (auto candidate = candidates.next(); candidate && !simpler; candidate = candidates.next()) {
      if (fails(candidate->value())) {
        current = *candidate;
        simpler = true;
      }
    }
    if (!simpler) break;
  }
  return current;
}

}  // namespace normcheck::testing
