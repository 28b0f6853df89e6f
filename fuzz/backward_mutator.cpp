// libFuzzer's structure-aware hooks for the backward target: one mutation in five is of the
// dy header (dy_mutations.hpp); the others are the forward layout's (mutator_hooks.hpp) on
// what follows it, the carrier whose residual is dy. A crossover mixes the carriers and
// keeps either input's header.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz/backward_input.hpp"
#include "fuzz/dy_mutations.hpp"
#include "fuzz/mutator_hooks.hpp"
#include "fuzz/target_config.hpp"

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace {

using normcheck::fuzz::kDyHeaderBytes;

}  // namespace

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
  namespace nf = normcheck::fuzz;
  const auto& shape = nf::target_config().shape;
  if (size <= kDyHeaderBytes || max_size <= kDyHeaderBytes) return LLVMFuzzerMutate(data, size, max_size);
  nf::MutationRng rng(seed);
  if (rng() % 5 == 0) {
    if (auto input = nf::decode_backward_input(data, size, shape)) {
      nf::mutate_dy_header(*input, shape.y_format, rng);
      std::vector<std::uint8_t> header;
      nf::encode_dy_header(input->dy, header);
      data[0] = header[0];
      data[1] = header[1];
      return size;
    }
  }
  return kDyHeaderBytes + nf::mutate_forward_input(data + kDyHeaderBytes, size - kDyHeaderBytes,
                                                   max_size - kDyHeaderBytes, static_cast<unsigned>(rng()), shape);
}

extern "C" std::size_t LLVMFuzzerCustomCrossOver(const std::uint8_t* data1, std::size_t size1,
                                                 const std::uint8_t* data2, std::size_t size2, std::uint8_t* out,
                                                 std::size_t max_out_size, unsigned int seed) {
  if (size1 <= kDyHeaderBytes || size2 <= kDyHeaderBytes || max_out_size <= kDyHeaderBytes) return 0;
  const std::uint8_t* header = seed % 2 == 0 ? data1 : data2;
  const std::size_t mixed = normcheck::fuzz::cross_over_forward_inputs(
      data1 + kDyHeaderBytes, size1 - kDyHeaderBytes, data2 + kDyHeaderBytes, size2 - kDyHeaderBytes,
      out + kDyHeaderBytes, max_out_size - kDyHeaderBytes, seed / 2, normcheck::fuzz::target_config().shape);
  if (mixed == 0) return 0;
  out[0] = header[0];
  out[1] = header[1];
  return kDyHeaderBytes + mixed;
}
