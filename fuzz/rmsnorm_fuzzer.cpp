// libFuzzer differential target for RMSNorm kernels (fused forms included): the kernel
// comes from NORMCHECK_KERNEL / NORMCHECK_PLUGIN, every input is judged against the oracle.
#include <cstddef>
#include <cstdint>

#include "fuzz/differential.hpp"
#include "fuzz/target_config.hpp"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  normcheck::fuzz::configure_target(normcheck::ref::Op::rmsnorm);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return normcheck::fuzz::check_differential_input(data, size);
}
