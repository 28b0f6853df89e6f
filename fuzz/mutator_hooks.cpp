// The forward layout's mutation and crossover hooks (mutator_hooks.hpp).
#include "fuzz/mutator_hooks.hpp"

#include <cstring>

#include "fuzz/fuzz_input.hpp"
#include "fuzz/pattern_mutations.hpp"
#include "fuzz/structure_mutator.hpp"

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace normcheck::fuzz {
namespace {

std::size_t write_back(FuzzInput& input, std::uint8_t* data, std::size_t max_size) {
  if (!shrink_to_fit(input, max_size)) return 0;
  const auto bytes = encode_input(input);
  std::memcpy(data, bytes.data(), bytes.size());
  return bytes.size();
}

// libFuzzer's byte-level mutation, whose mutant may set the large bit of a pattern
// input: then its shape bytes, arbitrary, mostly make ~2^17 elements, which cost as much
// to judge as a thousand usual inputs (measured: the ~1 in 800 executions that were large
// took ~40 % of the elements judged). Such a mutant is cut back as the structural
// mutations cut a large input back (cut_back: large stays large one time in 32).
std::size_t byte_level(std::uint8_t* data, std::size_t size, std::size_t max_size,
                       const harness::KernelShape& shape, MutationRng& rng) {
  const std::size_t mutated = LLVMFuzzerMutate(data, size, max_size);
  auto input = decode_input(data, mutated, shape);
  if (!input || input->rows * input->n <= kUsualPatternElements) return mutated;
  cut_back(*input, rng);
  const std::size_t written = write_back(*input, data, max_size);
  return written ? written : mutated;
}

}  // namespace

std::size_t mutate_forward_input(std::uint8_t* data, std::size_t size, std::size_t max_size, unsigned int seed,
                                 const harness::KernelShape& shape) {
  MutationRng rng(seed);
  // One in four mutations stays byte-level: libFuzzer's own mutations reach header
  // bytes and bit patterns that no structural rule names. Not on a large pattern input:
  // its byte-level mutants stay large, and the structural ones mostly cut it back
  // (pattern_mutations.hpp, cut_back).
  auto input = decode_input(data, size, shape);
  const bool large = input && input->rows * input->n > kUsualPatternElements;
  if (!large && rng() % 4 == 0) return byte_level(data, size, max_size, shape, rng);
  if (!input) return byte_level(data, size, max_size, shape, rng);
  convert_storage(*input, shape);
  // Usually one mutation, sometimes a few stacked: bugs often need two conditions at once
  // (a large offset and a tiny spread, a special value and a residual).
  const int rounds = rng() % 3 == 0 ? 1 + static_cast<int>(rng() % 3) : 1;
  for (int i = 0; i < rounds; ++i) mutate_structure(*input, shape, rng);
  const std::size_t written = write_back(*input, data, max_size);
  return written ? written : LLVMFuzzerMutate(data, size, max_size);
}

std::size_t cross_over_forward_inputs(const std::uint8_t* data1, std::size_t size1, const std::uint8_t* data2,
                                      std::size_t size2, std::uint8_t* out, std::size_t max_out_size,
                                      unsigned int seed, const harness::KernelShape& shape) {
  MutationRng rng(seed);
  auto first = decode_input(data1, size1, shape);
  auto second = decode_input(data2, size2, shape);
  if (!first || !second) return 0;  // libFuzzer then skips this crossover
  convert_storage(*first, shape);
  convert_storage(*second, shape);
  FuzzInput mixed = cross_over(*first, *second, rng);
  return write_back(mixed, out, max_out_size);
}

}  // namespace normcheck::fuzz
