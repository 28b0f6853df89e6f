// The checker's case stream: the RapidCheck problem generator driven directly, with a
// Random keyed by (seed, kernel name, case index) so every case is reproducible alone.
#pragma once

#include "harness/checker.hpp"
#include "properties/backward_problem_gen.hpp"
#include "properties/problem_gen.hpp"

namespace normcheck::props {

harness::CaseSource make_case_source(const GeneratorOptions& options = {});
// Backward kernels' stream over gen_backward_problem, keyed the same way.
harness::BackwardCaseSource make_backward_case_source(const GeneratorOptions& options = {});

}  // namespace normcheck::props
