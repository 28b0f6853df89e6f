// The backward oracle: correctly rounded dx, dgamma and dbeta of LayerNorm / RMSNorm.
// One entry point, compute_backward_oracle(); docs/oracle.md ("The backward pass") gives the
// mathematics and the proofs of the fast paths' bounds.
#pragma once

#include <cstdint>
#include <vector>

#include "reference/backward_problem.hpp"

namespace normcheck::ref {

struct BackwardOracleOptions {
  // Skip every fast path: dx and dbeta by exact integer comparison, dgamma by exact
  // comparison or the certified interval loop.
  bool force_exact = false;
};

struct BackwardOracleResult {
  std::vector<double> dx;             // rows * n: RN_{x_format}(exact dx)
  std::vector<double> dgamma;         // n: RN_{param_format}(exact dgamma)
  std::vector<double> dbeta;          // n: RN_{param_format}(exact dbeta)
  // The same exact values as doubles, not rounded to the output format (same special
  // values; finite where the rounded value overflowed), for the error measures: within 2^-10
  // of an output ulp where a fast tier decided (within 2^-9 of the smaller half gap), within
  // one f64 ulp where an exact path did.
  std::vector<double> dx_exact;
  std::vector<double> dgamma_exact;
  std::vector<double> dbeta_exact;
  // dgamma elements whose certified interval loop reached the precision cap without deciding
  // (docs/oracle.md): rounded from the last interval's midpoint, so either neighbour of the
  // exact value may be returned. Expected zero outside constructed cases.
  std::int64_t dgamma_capped = 0;
  // Finite outputs (dx, dgamma, dbeta) that the exact paths decided rather than a fast tier:
  // all of them with force_exact; for random f16 / bf16 / f32 rows a small fraction.
  std::int64_t exact_path_outputs = 0;
};

// Special values follow the forward rules applied to the exact gradient (docs/oracle.md):
// a row whose x is not all finite, or whose var + eps is 0, or whose g = gamma * dy is not all
// finite, has NaN dx; dgamma / dbeta columns are IEEE sums of the exact per-row terms.
BackwardOracleResult compute_backward_oracle(const BackwardProblem& problem,
                                             const BackwardOracleOptions& options = {});

}  // namespace normcheck::ref
