// The bodies of libFuzzer's structure-aware hooks over the forward layout (fuzz_input.hpp):
// decode, mutate the structure (structure_mutator.hpp), re-encode, with byte-level mutation
// for the rest. The forward targets call them on the whole input (custom_mutator.cpp), the
// backward target on what follows its dy header (backward_mutator.cpp). They call
// libFuzzer's LLVMFuzzerMutate: only fuzz targets link them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "harness/kernel_shape.hpp"

namespace normcheck::fuzz {

// LLVMFuzzerCustomMutator's contract: the input in data[0, size) is mutated in place
// within max_size bytes; returns the new size.
std::size_t mutate_forward_input(std::uint8_t* data, std::size_t size, std::size_t max_size, unsigned int seed,
                                 const harness::KernelShape& shape);

// LLVMFuzzerCustomCrossOver's: a mix of the two inputs in out (at most max_out_size bytes);
// returns its size, 0 when the inputs do not decode (libFuzzer then skips the crossover).
std::size_t cross_over_forward_inputs(const std::uint8_t* data1, std::size_t size1, const std::uint8_t* data2,
                                      std::size_t size2, std::uint8_t* out, std::size_t max_out_size,
                                      unsigned int seed, const harness::KernelShape& shape);

}  // namespace normcheck::fuzz
