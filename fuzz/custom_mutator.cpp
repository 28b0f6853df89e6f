// libFuzzer's structure-aware hooks for the forward differential targets: the forward
// layout's mutator (mutator_hooks.hpp) on the whole input.
#include <cstddef>
#include <cstdint>

#include "fuzz/mutator_hooks.hpp"
#include "fuzz/target_config.hpp"

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
  return normcheck::fuzz::mutate_forward_input(data, size, max_size, seed, normcheck::fuzz::target_config().shape);
}

extern "C" std::size_t LLVMFuzzerCustomCrossOver(const std::uint8_t* data1, std::size_t size1,
                                                 const std::uint8_t* data2, std::size_t size2, std::uint8_t* out,
                                                 std::size_t max_out_size, unsigned int seed) {
  return normcheck::fuzz::cross_over_forward_inputs(data1, size1, data2, size2, out, max_out_size, seed,
                                                    normcheck::fuzz::target_config().shape);
}
