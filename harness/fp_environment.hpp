// The floating-point control state around a kernel call: a kernel that leaves the rounding
// mode changed, or flush-to-zero / denormals-are-zero set, would otherwise change how the
// harness itself decodes inputs and computes the oracle and the measures, and the verdicts
// of every kernel run after it in the same process.
#pragma once

#include <cfenv>
#include <cstdint>
#include <string>

namespace normcheck::harness {

// The control part of the state (not the exception flags, which kernels raise routinely):
// MXCSR's rounding, flush-to-zero, denormals-are-zero and exception masks, and the x87
// control word (rounding, precision, masks). Off x86, the C rounding mode alone.
struct FpControl {
  unsigned sse = 0;
  unsigned x87 = 0;
  bool operator==(const FpControl&) const = default;
};
FpControl current_fp_control();

// "" when equal, else what differs, as "rounding upward, flush-to-zero set".
std::string describe_fp_change(const FpControl& before, const FpControl& after);

// changes() says what the code in between changed, and the destructor restores the state
// it found: the SSE control and status register always; when the x87 control word changed or
// the x87 stack was left holding values, a fresh x87 environment (empty stack) with the
// control word it found. Saving the whole environment up front (fegetenv) was two slow x87
// environment stores on every kernel call, for a state that a kernel keeping the C ABI never
// leaves changed.
class FpEnvironmentGuard {
 public:
  FpEnvironmentGuard();
  ~FpEnvironmentGuard();
  FpEnvironmentGuard(const FpEnvironmentGuard&) = delete;
  FpEnvironmentGuard& operator=(const FpEnvironmentGuard&) = delete;

  std::string changes() const { return describe_fp_change(before_, current_fp_control()); }

 private:
  FpControl before_;
  unsigned sse_register_ = 0;        // the whole MXCSR, flags included
  std::uint16_t x87_control_ = 0;   // the whole x87 control word
  unsigned x87_stack_ = 0;          // the x87 stack's top and whether ST(0) is empty (bits 0-2, 3)
};

}  // namespace normcheck::harness
