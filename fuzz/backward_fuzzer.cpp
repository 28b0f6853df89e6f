// libFuzzer differential target for backward kernels (ABI version 2) of either op: the
// kernel comes from NORMCHECK_KERNEL / NORMCHECK_PLUGIN, every input (backward_input.hpp) is
// judged against the backward oracle with harness::evaluate_backward_case.
#include <cstddef>
#include <cstdint>

#include "fuzz/differential.hpp"
#include "fuzz/target_config.hpp"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  normcheck::fuzz::configure_backward_target();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return normcheck::fuzz::check_backward_input(data, size);
}
