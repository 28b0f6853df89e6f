// The backward target's mutations of its dy header (dy_forms.hpp); what follows the header
// mutates as a forward input (mutator_hooks.hpp).
#pragma once

#include <string_view>

#include "fuzz/backward_input.hpp"
#include "fuzz/structure_mutator.hpp"

namespace normcheck::fuzz {

// One mutation of the header: another form (and parameter), or another shift: a few binades,
// none, anywhere, or one that puts the largest |dy| the input spells at the top of dy's
// format (overflow of g * xhat and the column sums) or at its bottom (subnormal, underflow).
// dy_format: the kernel's dy dtype. Returns the mutation's name (for tests and stats).
std::string_view mutate_dy_header(BackwardFuzzInput& input, ref::Format dy_format, MutationRng& rng);

}  // namespace normcheck::fuzz
