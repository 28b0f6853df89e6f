// The built-in kernel registry: every kernel compiled into normcheck, with its metadata.
#pragma once
#include <string>
#include <vector>

#include "normcheck/kernel_abi.h"

namespace normcheck::impls {

struct KernelInfo {
  const normcheck_kernel* kernel = nullptr;  // never null; lives as long as the program (or the plugin)
  bool mutant = false;                       // seeded bug: check/report skip it unless named
  std::string bug_class;                     // mutants: the bug class it models, one line
  normcheck_dtype compute = NORMCHECK_F32;   // precision of the arithmetic the kernel declares
  std::string origin;                        // "builtin", "onednn", or the plugin's path
  bool thread_safe = false;                  // NORMCHECK_THREAD_SAFE: run may be called concurrently
};

// Every built-in kernel: correct kernels first, then oneDNN adapters (when built), then mutants.
const std::vector<KernelInfo>& builtin_kernels();

}  // namespace normcheck::impls
