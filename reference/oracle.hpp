// The oracle: exact row statistics and correctly rounded LayerNorm / RMSNorm outputs.
// One entry point, compute_oracle(); docs/oracle.md gives the mathematics.
#pragma once

#include <cstdint>
#include <vector>

#include "reference/format.hpp"
#include "reference/problem.hpp"

namespace normcheck::ref {

struct OracleOptions {
  // Skip the fast path and decide every rounding by exact integer comparison.
  bool force_exact = false;
  // Only the rows' mean and rstd: y and y_exact are left empty (the backward judge needs
  // the forward statistics, not its outputs). The statistics are the same either way.
  bool statistics_only = false;
};

struct OracleResult {
  std::vector<double> y;             // rows * n: RN_{y_format}(exact y)
  // rows * n: the exact y to within one f64 ulp (same special values as y, but never
  // rounded to y_format, so finite where y overflowed). The error measures divide by
  // |y_hat - y| with this value, where the exact value rather than its rounding matters.
  std::vector<double> y_exact;
  std::vector<double> mean;          // rows: RN_f64(exact mean of z); 0 for RMSNorm
  std::vector<double> rstd;          // rows: RN_f64(1 / sqrt(var + eps)); +inf if var+eps = 0
  std::vector<double> residual_out;  // rows * n when a residual is given: RN_x(x + residual)
};

// Special values follow IEEE semantics applied to the exact math (the extended-real value
// of each output): a NaN in a row's z makes the row NaN; infinities make LayerNorm's y and
// rstd NaN and its mean that infinity (NaN for both signs), and RMSNorm's rstd +0 with
// y_i = (+-0 * gamma_i) + beta_i for finite z_i (NaN for infinite z_i); var + eps = 0 makes
// rstd +inf and y NaN; inf / NaN in gamma or beta affects only its column.
OracleResult compute_oracle(const NormProblem& problem, const OracleOptions& options = {});

// The same, writing into result and reusing its vectors' storage: callers that run the
// oracle in a loop (fuzzers, sweeps) avoid allocating and faulting in fresh pages per call.
void compute_oracle_into(const NormProblem& problem, const OracleOptions& options, OracleResult& result);

}  // namespace normcheck::ref
