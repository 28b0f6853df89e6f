// Runs a backward kernel through the C ABI (normcheck_backward_problem): the exact values
// encoded into the kernel's dtypes in guarded buffers, with the saved statistics the ABI
// hands a kernel, and the gradients decoded back to exact doubles.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "impls/registry.hpp"
#include "reference/backward_problem.hpp"
#include "reference/oracle.hpp"

namespace normcheck::harness {

// What the ABI hands a backward kernel besides x, dy and gamma: the forward's mean and
// rstd per row, correctly rounded to f32 (the forward oracle's values rounded once), as a
// production forward pass saves them. RMSNorm has no mean: empty.
struct SavedStatistics {
  std::vector<double> mean;  // rows, f32 values; empty for RMSNorm
  std::vector<double> rstd;  // rows, f32 values
};
// They are those of the problem's forward_problem (reference/backward_problem.hpp): beta
// and the output format change neither mean nor rstd.
// The forward oracle's mean and rstd (of forward_problem) rounded to f32.
SavedStatistics saved_statistics(const ref::OracleResult& forward, ref::Op op);
SavedStatistics saved_statistics(const ref::BackwardProblem& problem);

struct BackwardKernelRun {
  normcheck_status status = NORMCHECK_ERROR;  // one of the enum's values, else NORMCHECK_ERROR
  int raw_status = NORMCHECK_ERROR;           // what the kernel returned
  std::vector<double> dx;                     // rows * n
  std::vector<double> dgamma;                 // n
  std::vector<double> dbeta;                  // n (LayerNorm only: RMSNorm has no beta, dbeta is NULL)
  // Indices of each output still holding the sentinel NaN: never written.
  std::vector<std::int64_t> unwritten_dx, unwritten_dgamma, unwritten_dbeta;
  std::string memory_violation;  // "" or what the kernel did to memory it does not own
  std::string fp_state_change;   // "" or the FP control state it left changed (restored)
};

// The op and dtypes of the kernel must be the problem's (backward_kernel_accepts). dgamma
// is always asked for; dbeta for LayerNorm. Called with the plugin's own entry as self.
BackwardKernelRun run_backward_kernel(const impls::BackwardKernelInfo& kernel, const ref::BackwardProblem& problem,
                                      const SavedStatistics& saved);

bool backward_kernel_accepts(const normcheck_backward_kernel& kernel, const ref::BackwardProblem& problem);

}  // namespace normcheck::harness
