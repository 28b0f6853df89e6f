// The checker's case stream: the RapidCheck problem generator driven directly, with a
// Random keyed by (seed, kernel name, case index) so every case is reproducible alone.
#pragma once

#include "harness/checker.hpp"
#include "properties/problem_gen.hpp"

namespace normcheck::props {

harness::CaseSource make_case_source(const GeneratorOptions& options = {});

}  // namespace normcheck::props
