// The allocator policy of normcheck's own processes (the executable, its isolated workers and
// the fuzz targets): freed memory is kept for the next case instead of going back to the OS.
#pragma once

namespace normcheck::harness {

// The judge allocates and frees buffers of the same few sizes case after case. glibc hands
// every chunk above its mmap threshold (128 KiB at first) and a free heap top above its trim
// threshold back to the kernel, so that each case faulted its pages in again and zeroed them:
// page faults were a sixth of the default gate's time. Raises both thresholds (glibc only;
// elsewhere nothing). Call once, early in main, before threads start.
void keep_freed_memory_for_reuse();

}  // namespace normcheck::harness
