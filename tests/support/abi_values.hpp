// Values in kernel ABI buffers as exact doubles: what a test kernel reads from a
// normcheck_problem and writes back, and what tests put in or check in such buffers.
#pragma once

#include <cstdint>

#include "normcheck/kernel_abi.h"
#include "reference/oracle.hpp"

namespace normcheck::testing {

inline ref::Format format_of(normcheck_dtype dtype) { return static_cast<ref::Format>(dtype); }

// Element index of a buffer of the format (2, 4 or 8 bytes an element).
double load_value(ref::Format format, const void* base, std::int64_t index);
void store_value(ref::Format format, void* base, std::int64_t index, double value);

// The problem a kernel was handed, as exact doubles.
ref::NormProblem decode_problem(const normcheck_kernel& k, const normcheck_problem& p);

}  // namespace normcheck::testing
