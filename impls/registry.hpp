// The built-in kernel registry: every kernel compiled into normcheck, with its metadata.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "normcheck/kernel_abi.h"

namespace normcheck::impls {

// Where a kernel comes from. Third-party baselines (the oneDNN adapters) are compiled in
// but judged as baselines: check leaves them out of its default set. A python kernel is a
// callable that the Python package (python/) wraps in a trampoline of this ABI.
enum class KernelOrigin : std::uint8_t { builtin, onednn, plugin, python };

struct KernelInfo {
  const normcheck_kernel* kernel = nullptr;  // never null; lives as long as the program (or the plugin)
  bool mutant = false;                       // seeded bug: check/report skip it unless named
  std::string bug_class;                     // mutants: the bug class it models, one line
  normcheck_dtype compute = NORMCHECK_F32;   // precision of the arithmetic the kernel declares
  KernelOrigin origin = KernelOrigin::builtin;
  std::string plugin_path = {};              // KernelOrigin::plugin: the library's path as given
  bool thread_safe = false;                  // NORMCHECK_THREAD_SAFE: run may be called concurrently
  // A plugin kernel: the entry of the plugin's own table that `kernel` copies. run() gets
  // it as self, so a kernel may find itself by address (container_of, self - table); it is
  // never read, since the plugin may rewrite it. nullptr: `kernel` is its own table entry
  // (built-ins, tests).
  const normcheck_kernel* table_entry = nullptr;
  // KernelOrigin::python: the spec FILE.py:NAME that `normcheck replay --python` loads it
  // from, "" when it was handed over in Python (the API's replay() takes the callable).
  std::string python_spec = {};

  // What run() is passed as self.
  const normcheck_kernel& self() const { return table_entry != nullptr ? *table_entry : *kernel; }
};

// Every built-in kernel: correct kernels first, then oneDNN adapters (when built), then mutants.
const std::vector<KernelInfo>& builtin_kernels();

// A backward kernel (ABI version 2, normcheck_backward_kernel) and its metadata, as
// KernelInfo is for a forward one. Names are unique among forward and backward kernels.
struct BackwardKernelInfo {
  const normcheck_backward_kernel* kernel = nullptr;  // never null; lives as long as the program (or the plugin)
  bool mutant = false;                                // seeded bug: check skips it unless named
  std::string bug_class;                              // mutants: the bug class it models, one line
  normcheck_dtype compute = NORMCHECK_F32;            // precision of the arithmetic the kernel declares
  KernelOrigin origin = KernelOrigin::builtin;
  std::string plugin_path = {};                       // KernelOrigin::plugin: the library's path as given
  bool thread_safe = false;                           // NORMCHECK_THREAD_SAFE
  // A plugin kernel: the plugin's own table entry that `kernel` copies, passed to run() as
  // self (see KernelInfo::table_entry). nullptr: `kernel` is its own table entry.
  const normcheck_backward_kernel* table_entry = nullptr;
  std::string python_spec = {};  // KernelOrigin::python: as KernelInfo's

  const normcheck_backward_kernel& self() const { return table_entry != nullptr ? *table_entry : *kernel; }
};

// Every built-in backward kernel: correct kernels first, then mutants.
const std::vector<BackwardKernelInfo>& builtin_backward_kernels();

}  // namespace normcheck::impls
