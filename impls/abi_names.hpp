// Human-readable names for the ABI's enums and flags, and a one-line kernel description.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "impls/registry.hpp"
#include "normcheck/kernel_abi.h"

namespace normcheck::impls {

// "f16" | "bf16" | "f32" | "f64", or "invalid" for a value outside the enum.
std::string_view dtype_name(normcheck_dtype dtype);
// "layernorm" | "rmsnorm", or "invalid".
std::string_view op_name(normcheck_op op);
// "fused_residual|normalizes_rounded_sum|writes_stats" style, "none" when no flag is set;
// unknown bits are shown as "unknown(0x..)".
std::string flags_description(uint32_t flags);
// True when the value is one of the enum's named values (plugins can hand us anything).
bool is_valid_dtype(normcheck_dtype dtype);
bool is_valid_op(normcheck_op op);
// Every flag bit ABI version 1 defines.
inline constexpr uint32_t kVersion1Flags =
    NORMCHECK_FUSED_RESIDUAL | NORMCHECK_NORMALIZES_ROUNDED_SUM | NORMCHECK_WRITES_STATS;
// The bits of NORMCHECK_COMPUTE(dtype) (version 2).
inline constexpr uint32_t kComputeFlagBits = 0xffu << 8;
// Every flag bit ABI version 2 defines (the compute field's value is checked separately).
inline constexpr uint32_t kKnownFlags = kVersion1Flags | NORMCHECK_THREAD_SAFE | kComputeFlagBits;

// "builtin" | "onednn" | "plugin".
std::string_view origin_name(KernelOrigin origin);
// Where the kernel is from, for people: the plugin's path, "python FILE.py:NAME", else origin_name.
std::string origin_label(const KernelInfo& info);
std::string origin_label(const BackwardKernelInfo& info);

// One line: name, op, x/param/y dtypes, flags, compute precision, origin, and "mutant: <class>".
std::string describe_kernel(const KernelInfo& info);
// The same for a backward kernel, "backward" after the name: `NAME  backward op=... x=...
// param=... dy=...`, the rest as for a forward kernel.
std::string describe_kernel(const BackwardKernelInfo& info);

}  // namespace normcheck::impls
