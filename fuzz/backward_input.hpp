// The backward target's binary layout: the dy header (dy_forms.hpp), then an input of the
// forward layout (fuzz_input.hpp) whose residual carries dy, as a backward problem is shrunk
// (harness/backward_shrink.hpp): both are rows x n arrays beside x that change shape with it.
//   bytes 0-1  the dy header: form and parameter, binade shift
//   then       a forward input of the kernel's carrier shape (its op and dtypes, fused): the
//              shape (raw: up to 256 rows of 4096; pattern: up to 4096 rows, rows of up to
//              65,536, 2^18 elements), eps, x and gamma exactly as the forward targets decode
//              them; its residual is dy (stored in x's format, rounded to dy's); without a
//              residual dy is 1 everywhere (before the header applies); beta is ignored (no
//              gradient depends on it)
// So every forward regime of x reaches the backward target through the same decoder and
// the same structure mutator, and the mutator's residual mutations (dy = x, -x, a large
// constant, absent) are dy mutations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "fuzz/dy_forms.hpp"
#include "fuzz/fuzz_input.hpp"
#include "harness/kernel_shape.hpp"
#include "normcheck/kernel_abi.h"
#include "reference/backward_problem.hpp"

namespace normcheck::fuzz {

struct BackwardFuzzInput {
  DyHeader dy;
  FuzzInput carrier;  // x, gamma, eps and the shape; residual: dy's bits
};

// The forward shape whose inputs carry a backward kernel's problems: its op, x and param
// dtypes, y_format dy's, fused (the residual is dy).
harness::KernelShape carrier_shape(const normcheck_backward_kernel& kernel);

// nullopt when the bytes after the header hold no forward input.
std::optional<BackwardFuzzInput> decode_backward_input(const std::uint8_t* data, std::size_t size,
                                                       const harness::KernelShape& carrier);
std::vector<std::uint8_t> encode_backward_input(const BackwardFuzzInput& input);

// The problem the kernel is checked on: x, gamma, eps as to_problem gives them, dy after the
// header, every value in the carrier's formats.
ref::BackwardProblem to_backward_problem(const BackwardFuzzInput& input, const harness::KernelShape& carrier);
// How readable cases become seeds (from_problem's rules); a forward case's dy is its
// residual, or its x when it has none (values of the case's own range). A dy that x's format
// cannot hold is rounded to it: a seed is a starting point, not the case.
BackwardFuzzInput from_backward_problem(const ref::BackwardProblem& problem);
BackwardFuzzInput from_forward_case(const ref::NormProblem& problem);

}  // namespace normcheck::fuzz
