// Test-local kernels for the checker's own tests: one that crashes, one that hangs, one
// that is wrong only for n >= 5 (so shrinking has somewhere to go), and an exact
// reference kernel built on the oracle (always passes), and one that takes no problem.
#pragma once

#include "impls/registry.hpp"

namespace normcheck::testing {

impls::KernelInfo crashing_kernel();        // raises SIGSEGV on every call
impls::KernelInfo hanging_kernel();         // spins forever on every call
impls::KernelInfo crash_on_nan_kernel();    // crashes only when x holds a NaN
impls::KernelInfo wrong_for_wide_rows();    // y off by a large amount when n >= 5
impls::KernelInfo oracle_kernel();          // f32 LayerNorm answered by the oracle itself
impls::KernelInfo unsupported_kernel();     // answers NORMCHECK_UNSUPPORTED to every problem

}  // namespace normcheck::testing
