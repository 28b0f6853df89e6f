// Structure-aware mutations of a decoded fuzz input. Each one aims at a class of numerical
// bug (cancellation, overflow, special values, eps handling, shape-dependent code paths),
// never at one particular kernel.
#pragma once

#include <cstddef>
#include <random>
#include <string_view>

#include "fuzz/fuzz_input.hpp"

namespace normcheck::fuzz {

using MutationRng = std::minstd_rand;

// Applies one randomly chosen structural mutation; returns its name (for tests and stats).
// Precondition: the input's storage is in the shape's formats (convert_storage).
std::string_view mutate_structure(FuzzInput& input, const harness::KernelShape& shape, MutationRng& rng);

// Mixes two inputs of one shape: rows, columns or the parameters of one into the other.
FuzzInput cross_over(const FuzzInput& first, const FuzzInput& second, MutationRng& rng);

// Shrinks n, then rows, until the encoded input fits in max_bytes; false if even one
// element does not fit.
bool shrink_to_fit(FuzzInput& input, std::size_t max_bytes);

}  // namespace normcheck::fuzz
