// The floating-point control state around a kernel call: a kernel that leaves the rounding
// mode changed, or flush-to-zero / denormals-are-zero set, would otherwise change how the
// harness itself decodes inputs and computes the oracle and the measures, and the verdicts
// of every kernel run after it in the same process.
#pragma once

#include <cfenv>
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

// Saves the whole environment; changes() says what the code in between changed, and the
// destructor restores the saved environment, changed or not.
class FpEnvironmentGuard {
 public:
  FpEnvironmentGuard();
  ~FpEnvironmentGuard();
  FpEnvironmentGuard(const FpEnvironmentGuard&) = delete;
  FpEnvironmentGuard& operator=(const FpEnvironmentGuard&) = delete;

  std::string changes() const { return describe_fp_change(before_, current_fp_control()); }

 private:
  std::fenv_t saved_{};
  FpControl before_;
};

}  // namespace normcheck::harness
