// The body of the differential targets: decode bytes into a case for the configured
// kernel, judge it with harness::evaluate_case (the verdict `normcheck check` gives) or,
// for the backward target, harness::evaluate_backward_case, and report a finding on any
// violation.
#pragma once

#include <cstddef>
#include <cstdint>

namespace normcheck::fuzz {

// Returns -1 for bytes that hold no case (libFuzzer keeps them out of the corpus), else 0.
// A finding aborts unless NORMCHECK_FINDING_DIR is set (finding.hpp). Precondition: configure_target() ran.
int check_differential_input(const std::uint8_t* data, std::size_t size);

// The backward target's (backward_input.hpp). Precondition: configure_backward_target() ran.
int check_backward_input(const std::uint8_t* data, std::size_t size);

}  // namespace normcheck::fuzz
