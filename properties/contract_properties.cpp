// The exact contracts (docs/error-measures.md) as properties: oracle agreement, constant rows,
// row isolation of non-finite values, batch invariance, residual_out and saved stats.
#include <cmath>
#include <fmt/format.h>

#include "harness/kernel_shape.hpp"
#include "properties/properties.hpp"
#include "properties/property_support.hpp"

namespace normcheck::props {
namespace {

using harness::ViolationClass;
using support::add_violation;
using support::at;

// Compares one row of two runs bitwise, output by output. Returns false at the first
// difference after recording it.
bool same_row(PropertyResult& result, ViolationClass klass, std::string_view what, std::int64_t row,
              std::int64_t n, const std::vector<double>& got, std::size_t got_offset,
              const std::vector<double>& want, std::size_t want_offset) {
  for (std::int64_t j = 0; j < n; ++j) {
    const double g = got[got_offset + static_cast<std::size_t>(j)];
    const double w = want[want_offset + static_cast<std::size_t>(j)];
    if (!same_value(g, w)) {
      add_violation(result, klass,
                    fmt::format("{} row {} column {}: got {} want {}", what, row, j, g, w));
      return false;
    }
  }
  return true;
}

bool same_stat(PropertyResult& result, ViolationClass klass, std::string_view what, std::int64_t row,
               const std::vector<double>& got, std::size_t g, const std::vector<double>& want, std::size_t w) {
  if (got.empty() || want.empty() || same_value(got[g], want[w])) return true;
  add_violation(result, klass, fmt::format("{} row {}: got {} want {}", what, row, got[g], want[w]));
  return false;
}

}  // namespace

PropertyResult agrees_with_oracle(const impls::KernelInfo& kernel, const ref::NormProblem& problem,
                                  const harness::Budget& budget) {
  PropertyResult result;
  harness::EvaluateOptions options;
  options.check_contracts = false;
  support::merge(result, harness::evaluate_case(kernel, problem, budget, options), "");
  return result;
}

PropertyResult constant_rows_give_beta(const impls::KernelInfo& kernel, ref::NormProblem problem,
                                       const harness::Budget& budget) {
  PropertyResult result;
  problem = harness::adapt_problem(*kernel.kernel, std::move(problem));
  if (problem.op != ref::Op::layernorm) {
    result.skipped = true;  // RMSNorm of a constant row is sign(x) * gamma, not beta
    result.skip_reason = "constant rows give beta only for LayerNorm";
    return result;
  }
  const double value = std::isfinite(problem.x[0]) ? problem.x[0] : 1.0;
  for (std::int64_t j = 0; j < problem.n; ++j) {
    problem.x[at(problem, 0, j)] = value;
    if (problem.has_residual()) problem.residual[at(problem, 0, j)] = 0.0;
  }
  // The contract is for eps > 0; var + eps = 0 is NaN by definition.
  if (problem.eps == 0.0) problem.eps = 0x1p-20;
  if (!support::within_domain(problem, budget)) {
    result.skipped = true;
    result.skip_reason = "constant value outside the kernel's declared domain";
    return result;
  }
  const auto run = support::run_or_record(kernel, problem, result);
  if (!run) return result;
  // The oracle's row 0 is RN(beta_j) (NaN in a column whose gamma or beta is not finite).
  const auto oracle = ref::compute_oracle(problem);
  for (std::int64_t j = 0; j < problem.n; ++j) {
    const double got = run->y[at(problem, 0, j)];
    const double want = oracle.y[at(problem, 0, j)];
    const bool equal = (std::isnan(got) && std::isnan(want)) || got == want;  // +0 == -0: zero sign is free here
    if (!equal) {
      add_violation(result, ViolationClass::constant_row,
                    fmt::format("constant row {} column {}: got {} want exactly {}", value, j, got, want));
      break;
    }
  }
  return result;
}

PropertyResult nonfinite_stays_in_row(const impls::KernelInfo& kernel, const ref::NormProblem& original,
                                      std::int64_t row, std::int64_t column, double special) {
  PropertyResult result;
  const auto clean = harness::adapt_problem(*kernel.kernel, original);
  if (clean.rows < 2) {
    result.skipped = true;
    result.skip_reason = "needs at least two rows";
    return result;
  }
  auto dirty = clean;
  dirty.x[at(dirty, row % dirty.rows, column % dirty.n)] = special;
  const auto clean_run = support::run_or_record(kernel, clean, result);
  if (!clean_run) return result;
  const auto dirty_run = support::run_or_record(kernel, dirty, result);
  if (!dirty_run) return result;
  const std::int64_t poisoned = row % dirty.rows;
  for (std::int64_t r = 0; r < clean.rows; ++r) {
    if (r == poisoned) continue;
    const auto offset = at(clean, r, 0);
    const auto rr = static_cast<std::size_t>(r);
    if (!same_row(result, ViolationClass::row_isolation, "y", r, clean.n, dirty_run->y, offset, clean_run->y, offset) ||
        (!clean_run->residual_out.empty() &&
         !same_row(result, ViolationClass::row_isolation, "residual_out", r, clean.n, dirty_run->residual_out, offset,
                   clean_run->residual_out, offset)) ||
        !same_stat(result, ViolationClass::row_isolation, "mean", r, dirty_run->mean, rr, clean_run->mean, rr) ||
        !same_stat(result, ViolationClass::row_isolation, "rstd", r, dirty_run->rstd, rr, clean_run->rstd, rr)) {
      break;
    }
  }
  return result;
}

PropertyResult batch_invariant(const impls::KernelInfo& kernel, const ref::NormProblem& original) {
  PropertyResult result;
  const auto batch = harness::adapt_problem(*kernel.kernel, original);
  const auto batch_run = support::run_or_record(kernel, batch, result);
  if (!batch_run) return result;
  for (std::int64_t r = 0; r < batch.rows; ++r) {
    auto alone = batch;
    alone.rows = 1;
    const auto begin = static_cast<std::ptrdiff_t>(at(batch, r, 0));
    alone.x.assign(batch.x.begin() + begin, batch.x.begin() + begin + batch.n);
    if (batch.has_residual())
      alone.residual.assign(batch.residual.begin() + begin, batch.residual.begin() + begin + batch.n);
    const auto alone_run = support::run_or_record(kernel, alone, result);
    if (!alone_run) return result;
    const auto offset = at(batch, r, 0);
    const auto rr = static_cast<std::size_t>(r);
    if (!same_row(result, ViolationClass::batch_invariance, "y", r, batch.n, alone_run->y, 0, batch_run->y, offset) ||
        (!alone_run->residual_out.empty() &&
         !same_row(result, ViolationClass::batch_invariance, "residual_out", r, batch.n, alone_run->residual_out, 0,
                   batch_run->residual_out, offset)) ||
        !same_stat(result, ViolationClass::batch_invariance, "mean", r, alone_run->mean, 0, batch_run->mean, rr) ||
        !same_stat(result, ViolationClass::batch_invariance, "rstd", r, alone_run->rstd, 0, batch_run->rstd, rr)) {
      break;
    }
  }
  return result;
}

PropertyResult residual_out_correctly_rounded(const impls::KernelInfo& kernel,
                                              const ref::NormProblem& original) {
  PropertyResult result;
  const auto problem = harness::adapt_problem(*kernel.kernel, original);
  if (!problem.has_residual()) {
    result.skipped = true;
    result.skip_reason = "no residual (kernel not fused, or none drawn)";
    return result;
  }
  const auto run = support::run_or_record(kernel, problem, result);
  if (!run) return result;
  const auto oracle = ref::compute_oracle(problem);
  for (std::int64_t r = 0; r < problem.rows; ++r) {
    if (!same_row(result, ViolationClass::residual_out, "residual_out", r, problem.n, run->residual_out, at(problem, r, 0),
                  oracle.residual_out, at(problem, r, 0))) {
      break;
    }
  }
  return result;
}

PropertyResult stats_within_budget(const impls::KernelInfo& kernel, const ref::NormProblem& problem,
                                   const harness::Budget& budget) {
  PropertyResult result;
  if ((kernel.kernel->flags & NORMCHECK_WRITES_STATS) == 0) {
    result.skipped = true;
    result.skip_reason = "kernel does not write mean / rstd";
    return result;
  }
  // evaluate_case owns the stats measure; keep only its verdict on the stats.
  PropertyResult all;
  support::merge(all, harness::evaluate_case(kernel, problem, budget), "");
  result.skipped = all.skipped;
  result.skip_reason = all.skip_reason;
  for (auto& v : all.violations)
    if (v.klass == ViolationClass::stats || v.klass == ViolationClass::status) result.violations.push_back(std::move(v));
  return result;
}

}  // namespace normcheck::props
