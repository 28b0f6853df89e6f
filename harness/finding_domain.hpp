// The safe input domain of one finding of `normcheck check`: measured on its minimized
// case, and for an overflow also on a row of the original case's length, through the
// kernel's evaluator (docs/checking.md, "Safe input domain").
#pragma once

#include "harness/budget.hpp"
#include "harness/checker.hpp"
#include "harness/isolation.hpp"

namespace normcheck::harness {

// Sets finding.domain (and equal_magnitude_domain, seconds_to_measure_domain) when the
// minimized case is of extreme magnitude and passes scaled towards 1; leaves them empty
// otherwise. A bias finding has no failing case and is left alone.
void measure_finding_domain(IsolatedEvaluator& evaluator, const Budget& budget, Finding& finding);

}  // namespace normcheck::harness
