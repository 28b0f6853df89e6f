// Structure-aware mutations of a decoded fuzz input. Each one aims at a class of numerical
// bug (cancellation, overflow, special values, eps handling, shape-dependent code paths),
// never at one particular kernel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string_view>

#include "fuzz/fuzz_input.hpp"

namespace normcheck::fuzz {

using MutationRng = std::minstd_rand;

// Applies one randomly chosen structural mutation; returns its name (for tests and stats).
// A pattern input gets the pattern mutations (pattern_mutations.hpp); a raw one now and
// then becomes a pattern input ("to-pattern").
// Precondition: the input's storage is in the shape's formats (convert_storage).
std::string_view mutate_structure(FuzzInput& input, const harness::KernelShape& shape, MutationRng& rng);

// One mutation of the values, eps or parameters that keeps the shape of a raw input (the
// mutations of a pattern's motifs, seen as a one-row input).
std::string_view mutate_values(FuzzInput& input, const harness::KernelShape& shape, MutationRng& rng);

// A row length (around powers of two, odd, small, any) and a batch size (the
// strategy-switch sizes, around tile sizes, small, any) from 1 to limit.
std::int64_t interesting_n(MutationRng& rng, std::int64_t limit);
std::int64_t interesting_rows(MutationRng& rng, std::int64_t limit);

// Mixes two inputs of one shape: rows, columns or the parameters of one into the other.
FuzzInput cross_over(const FuzzInput& first, const FuzzInput& second, MutationRng& rng);

// Shrinks n, then rows (a pattern input: its perturbations, then its motifs), until the
// encoded input fits in max_bytes; false if even one element does not fit.
bool shrink_to_fit(FuzzInput& input, std::size_t max_bytes);

}  // namespace normcheck::fuzz
