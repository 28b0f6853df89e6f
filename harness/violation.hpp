// The vocabulary of findings: which contract a kernel broke. Every output (signatures,
// case-file names, JSON, JUnit, the fuzzers' crash frames) spells a class with
// class_name(), so the names are part of the public output and must stay stable.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace normcheck::harness {

enum class ViolationClass : std::uint8_t {
  score,             // an output over its condition-aware score budget
  ulp,               // an output over its ULP budget where the score does not apply
  special,           // inf / NaN / signed zero where IEEE arithmetic on the exact math differs
  constant_row,      // a constant row did not give exactly beta
  row_isolation,     // a row's outputs depend on the other rows of the batch
  batch_invariance,  // a row's outputs depend on the batch size it is run in
  residual_out,      // residual_out is not the correctly rounded x + residual
  stats,             // mean / rstd off, or not written when declared
  status,            // a status other than OK / UNSUPPORTED, or a contract of the call broken
  memory,            // a write past a buffer, a changed input, or a worker that grew too much
  fp_state,          // the kernel left the floating-point control state changed
  bias,              // signed errors that lean one way over many cases (check's statistical, kernel-level test)
  metamorphic,       // two runs of the kernel broke a relation the exact math obeys (scaling, ...)
  oracle_relation,   // the oracle broke such a relation: a self-check of the harness
  internal_error,    // the harness itself failed on the case (never the kernel's verdict)
  crash,             // the kernel's worker died
  timeout,           // the kernel's worker did not answer in time
};

inline constexpr std::array kViolationClasses = {
    ViolationClass::score,          ViolationClass::ulp,          ViolationClass::special,
    ViolationClass::constant_row,   ViolationClass::row_isolation, ViolationClass::batch_invariance,
    ViolationClass::residual_out,   ViolationClass::stats,        ViolationClass::status,
    ViolationClass::memory,         ViolationClass::fp_state,     ViolationClass::bias,
    ViolationClass::metamorphic,
    ViolationClass::oracle_relation, ViolationClass::internal_error,
    ViolationClass::crash,          ViolationClass::timeout,
};

// The stable name: "score", "constant-row", "fp-state", "bias", ...
std::string_view class_name(ViolationClass klass);
// The class a name spells (as class_name writes it), or nullopt.
std::optional<ViolationClass> parse_violation_class(std::string_view name);

// The output a violation reports (its message says "row R, col C"); -1 where it is not
// about one output (a status, the worker, a row's statistics: column -1).
struct OutputLocation {
  std::int64_t row = -1;
  std::int64_t column = -1;
};

struct Violation {
  ViolationClass klass = ViolationClass::score;
  std::string message;  // one line: row, column, got, want
  OutputLocation location = {};
};

}  // namespace normcheck::harness
