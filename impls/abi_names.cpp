// Names for the ABI's dtypes, ops and flags, and the one-line kernel description.
#include "impls/abi_names.hpp"

#include <cstdio>

namespace normcheck::impls {

std::string_view dtype_name(normcheck_dtype dtype) {
  switch (dtype) {
    case NORMCHECK_F16: return "f16";
    case NORMCHECK_BF16: return "bf16";
    case NORMCHECK_F32: return "f32";
    case NORMCHECK_F64: return "f64";
  }
  return "invalid";
}

std::string_view op_name(normcheck_op op) {
  switch (op) {
    case NORMCHECK_LAYERNORM: return "layernorm";
    case NORMCHECK_RMSNORM: return "rmsnorm";
  }
  return "invalid";
}

bool is_valid_dtype(normcheck_dtype dtype) { return dtype_name(dtype) != "invalid"; }
bool is_valid_op(normcheck_op op) { return op_name(op) != "invalid"; }

std::string flags_description(uint32_t flags) {
  std::string out;
  const auto add = [&out](std::string_view part) {
    if (!out.empty()) out += '|';
    out += part;
  };
  if (flags & NORMCHECK_FUSED_RESIDUAL) add("fused_residual");
  if (flags & NORMCHECK_NORMALIZES_ROUNDED_SUM) add("normalizes_rounded_sum");
  if (flags & NORMCHECK_WRITES_STATS) add("writes_stats");
  if (flags & NORMCHECK_THREAD_SAFE) add("thread_safe");
  if (const auto compute = NORMCHECK_COMPUTE_OF(flags); compute != 0) {
    add("compute(" + std::string(dtype_name(compute)) + ")");
  }
  if (const uint32_t unknown = flags & ~kKnownFlags) {
    char text[32];
    std::snprintf(text, sizeof text, "unknown(0x%x)", unknown);
    add(text);
  }
  return out.empty() ? "none" : out;
}

namespace {

// The line describe_kernel prints; `direction` and the name of y's field tell a backward
// kernel from a forward one.
template <class Info>
std::string describe(const Info& info, const char* direction, const char* y_field) {
  const auto& k = *info.kernel;
  std::string line = k.name;
  line += "  ";
  line += direction;
  line += "op=";
  line += op_name(k.op);
  line += " x=";
  line += dtype_name(k.x_dtype);
  line += " param=";
  line += dtype_name(k.param_dtype);
  line += ' ';
  line += y_field;
  line += '=';
  line += dtype_name(k.y_dtype);
  line += " flags=";
  line += flags_description(k.flags);
  line += " compute=";
  line += dtype_name(info.compute);
  line += " origin=";
  line += origin_label(info);
  if (info.mutant) {
    line += "  mutant: ";
    line += info.bug_class;
  }
  return line;
}

template <class Info>
std::string label(const Info& info) {
  if (info.origin == KernelOrigin::plugin) return info.plugin_path;
  if (info.origin == KernelOrigin::python && !info.python_spec.empty()) return "python " + info.python_spec;
  return std::string(origin_name(info.origin));
}

}  // namespace

std::string describe_kernel(const KernelInfo& info) { return describe(info, "", "y"); }
std::string describe_kernel(const BackwardKernelInfo& info) { return describe(info, "backward ", "dy"); }

std::string_view origin_name(KernelOrigin origin) {
  switch (origin) {
    case KernelOrigin::builtin: return "builtin";
    case KernelOrigin::onednn: return "onednn";
    case KernelOrigin::plugin: return "plugin";
    case KernelOrigin::python: return "python";
  }
  return "invalid";
}

std::string origin_label(const KernelInfo& info) { return label(info); }
std::string origin_label(const BackwardKernelInfo& info) { return label(info); }

}  // namespace normcheck::impls
