// Properties of a kernel on one problem, usable from RC_GTEST_PROP tests (assert
// holds()) and from the checker. Each names the contract it checks; violations use the
// harness's violation classes so the same bug dedupes the same way everywhere.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/budget.hpp"
#include "harness/evaluate.hpp"
#include "impls/registry.hpp"
#include "reference/oracle.hpp"

namespace normcheck::props {

struct PropertyResult {
  bool skipped = false;  // the kernel declined the problem, or the property does not apply
  std::string skip_reason;
  std::vector<harness::Violation> violations;

  bool holds() const { return violations.empty(); }
  std::string describe() const;  // the first few violations, one per line
};

// Every output within budget of the oracle, special values by policy (evaluate_case
// without the multi-run contracts).
PropertyResult agrees_with_oracle(const impls::KernelInfo& kernel, const ref::NormProblem& problem,
                                  const harness::Budget& budget);

// Row 0 made constant (z = x + residual constant too), eps made positive: its outputs
// must be exactly the oracle's, i.e. RN(beta) column by column. Bitwise, for any kernel.
PropertyResult constant_rows_give_beta(const impls::KernelInfo& kernel, ref::NormProblem problem,
                                       const harness::Budget& budget);

// Putting `special` at (row, column) of x must leave every other row's outputs
// (y, residual_out, mean, rstd) bit-identical. Needs rows >= 2.
PropertyResult nonfinite_stays_in_row(const impls::KernelInfo& kernel, const ref::NormProblem& problem,
                                      std::int64_t row, std::int64_t column, double special);

// Each row computed alone equals the same row computed in the batch, bitwise.
PropertyResult batch_invariant(const impls::KernelInfo& kernel, const ref::NormProblem& problem);

// residual_out == RN_x(x + residual) exactly (fused kernels; skipped otherwise).
PropertyResult residual_out_correctly_rounded(const impls::KernelInfo& kernel,
                                              const ref::NormProblem& problem);

// Saved mean / rstd within budget (kernels that declare WRITES_STATS; skipped otherwise).
PropertyResult stats_within_budget(const impls::KernelInfo& kernel, const ref::NormProblem& problem,
                                   const harness::Budget& budget);

// Metamorphic relations. The oracle satisfies them bitwise, a kernel only within its
// budget, so each transformed run is judged against the oracle; the oracle's own
// relation is checked bitwise too (class "oracle-relation": a bug in the reference).
// With `require_bitwise`, the kernel's transformed outputs must also equal the
// transformed original outputs exactly (class "metamorphic"); only for kernels that
// promise it, e.g. sign symmetry of any IEEE round-to-nearest kernel.

// Columns permuted (x, residual, gamma, beta together): y permutes.
PropertyResult permutation_relation(const impls::KernelInfo& kernel, const ref::NormProblem& problem,
                                    const harness::Budget& budget,
                                    const std::vector<std::int64_t>& permutation, bool require_bitwise = false);

// x, residual negated and beta removed: y negates.
PropertyResult sign_flip_relation(const impls::KernelInfo& kernel, const ref::NormProblem& problem,
                                  const harness::Budget& budget, bool require_bitwise = false);

// x, residual scaled by 2^k and eps by 4^k: y unchanged. Skipped when a scaled value
// is not exact in its format (overflow, lost subnormal bits) or eps' leaves fp32.
PropertyResult power_of_two_scaling_relation(const impls::KernelInfo& kernel,
                                             const ref::NormProblem& problem,
                                             const harness::Budget& budget, int k,
                                             bool require_bitwise = false);

// Bit-identical as values: both NaN, or equal with the same sign (of zero too).
bool same_value(double a, double b);

}  // namespace normcheck::props
