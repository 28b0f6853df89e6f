// glibc's malloc thresholds for normcheck's processes (memory_reuse.hpp).
#include "harness/memory_reuse.hpp"

#include <cstdlib>  // defines __GLIBC__ on glibc, which the #if below tests
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace normcheck::harness {

void keep_freed_memory_for_reuse() {
#if defined(__GLIBC__)
  // 32 MiB is the largest mmap threshold glibc accepts on 64-bit systems (a larger value is
  // refused); the biggest generated cases' buffers stay below it. Setting it also ends glibc's
  // own adjustment of the threshold, which only rises after a large block has been freed.
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
#endif
}

}  // namespace normcheck::harness
