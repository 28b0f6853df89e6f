#include "harness/violation.hpp"

namespace normcheck::harness {

std::string_view class_name(ViolationClass klass) {
  switch (klass) {
    case ViolationClass::score: return "score";
    case ViolationClass::ulp: return "ulp";
    case ViolationClass::special: return "special";
    case ViolationClass::constant_row: return "constant-row";
    case ViolationClass::row_isolation: return "row-isolation";
    case ViolationClass::batch_invariance: return "batch-invariance";
    case ViolationClass::residual_out: return "residual-out";
    case ViolationClass::stats: return "stats";
    case ViolationClass::status: return "status";
    case ViolationClass::memory: return "memory";
    case ViolationClass::fp_state: return "fp-state";
    case ViolationClass::bias: return "bias";
    case ViolationClass::metamorphic: return "metamorphic";
    case ViolationClass::oracle_relation: return "oracle-relation";
    case ViolationClass::internal_error: return "internal-error";
    case ViolationClass::crash: return "crash";
    case ViolationClass::timeout: return "timeout";
  }
  return "unknown";
}

std::optional<ViolationClass> parse_violation_class(std::string_view name) {
  for (const ViolationClass klass : kViolationClasses) {
    if (class_name(klass) == name) return klass;
  }
  return std::nullopt;
}

}  // namespace normcheck::harness
