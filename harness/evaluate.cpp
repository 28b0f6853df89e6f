// Judges one kernel on one problem: measures against the oracle, the budget and the
// exact contracts; docs/error-measures.md defines and explains each.
#include "harness/evaluate.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "harness/hex_float.hpp"
#include "harness/evaluate_support.hpp"
#include "harness/kernel_runner.hpp"
#include "harness/measures.hpp"
#include "harness/special_value_policy.hpp"

namespace normcheck::harness {
namespace {

// A score over the default (pairwise) limit of a long row but within what a sequential
// sum of that row may cost: the likeliest cause is a recursive sum, whose error grows
// like n rather than log2 n. Said in the finding, with the budget key that accepts it;
// the finding stands (docs/budgets.md, "Sequential sums").
std::string sequential_sum_hint(const Budget& budget, std::int64_t n, double score) {
  constexpr std::int64_t kLongRow = 256;  // below it, n and log2 n are too close to tell apart
  if (budget.summation != Summation::pairwise || n < kLongRow || score > sequential_score_limit(budget, n)) return "";
  return fmt::format("; within the limit {:.4g} of a sequential sum of {} elements: if the kernel sums sequentially "
                     "(error growing like n), budget key summation = \"sequential\" accepts it",
                     sequential_score_limit(budget, n), n);
}

using namespace detail;

bool beyond_domain(const ref::NormProblem& p, double max_abs_x) {
  const auto beyond = [max_abs_x](double v) { return std::isfinite(v) && std::fabs(v) > max_abs_x; };
  return std::any_of(p.x.begin(), p.x.end(), beyond) ||
         std::any_of(p.residual.begin(), p.residual.end(), beyond);
}

// An f64 output whose exact value lies beyond double range has no finite y_exact, so a
// finite kernel result just below the threshold could not be judged by its score. y is
// linear in (gamma, beta): the oracle on the problem with both halved gives y / 2 exactly,
// which is in range. Returns the exact values halved, or an empty vector when halving a
// subnormal parameter would not be exact (then the output stays a special mismatch).
std::vector<double> halved_exact_y(const ref::NormProblem& p) {
  ref::NormProblem half = p;
  if (half.gamma.empty()) half.gamma.assign(static_cast<std::size_t>(p.n), 1.0);
  for (std::vector<double>* params : {&half.gamma, &half.beta}) {
    for (double& v : *params) {
      const double h = v / 2;
      if (h * 2 != v && std::isfinite(v)) return {};
      v = h;
    }
  }
  return ref::compute_oracle(half).y_exact;
}

void check_outputs(const Context& ctx) {
  const ref::NormProblem& p = ctx.problem;
  const double u_c = unit_roundoff(ctx.budget.compute);
  const double limit = score_limit(ctx.budget, p.n);
  std::vector<bool> unwritten(p.x.size(), false);
  for (auto k : ctx.run.unwritten_y) unwritten[static_cast<std::size_t>(k)] = true;
  std::vector<double> halved;  // halved_exact_y(p), computed when first needed
  SignedErrorCounter signed_errors(p.y_format, p.n);

  std::vector<ExactSum> z;  // the row's exact z, one buffer for every row
  for (std::int64_t r = 0; r < p.rows; ++r) {
    row_z_into(p, ctx.oracle, r, z);
    // The mean's term in A_i: a computed mean carries error relative to the scale of
    // its sum, mean(|z|), not to |mean| (which cancellation can make arbitrarily small;
    // |mean| <= mean(|z|)). docs/error-measures.md, "Which mean".
    const double mean_scale = p.op == ref::Op::layernorm ? mean_abs(p, ctx.oracle, r) : 0.0;
    const double rstd = ctx.oracle.rstd[static_cast<std::size_t>(r)];
    const double row_mean = ctx.oracle.mean[static_cast<std::size_t>(r)];  // 0 for RMSNorm
    const bool nan_accepted = row_admits_nan(p, ctx.oracle, r);
    for (std::int64_t c = 0; c < p.n; ++c) {
      const std::size_t k = at(r, p.n, c);
      const double got = ctx.run.y[k];
      const double want = ctx.oracle.y[k];
      ++ctx.result.outputs_checked;
      if (unwritten[k]) {  // the sentinel is a NaN: never taken for an expected NaN
        ++ctx.result.special_mismatches;
        if (ctx.budget.special == SpecialPolicy::strict) {
          ctx.log.add_at(ViolationClass::special, {r, c}, [&] {
            return fmt::format("{}: never written, want {}", where(r, c), hex_float(want));
          });
        }
        continue;
      }
      if (nan_accepted && std::isnan(got)) continue;  // IEEE's NaN for the row
      const double exact = ctx.oracle.y_exact[k];
      const double gamma = param_or(p.gamma, c, 1.0);
      const long double scale =
          term_scale(gamma, z[static_cast<std::size_t>(c)].hi, mean_scale, rstd, param_or(p.beta, c, 0.0)) +
          underflow_scale(ctx.budget.compute, gamma, rstd);
      const SpecialMismatch mismatch = special_mismatch(got, want);
      bool overflow_in_budget =
          mismatch != SpecialMismatch::none && overflow_within_budget(mismatch, p.y_format, got, exact, scale, u_c, limit);
      if (mismatch == SpecialMismatch::finite_for_inf && std::isinf(exact) && p.y_format == ref::Format::f64) {
        if (halved.empty()) halved = halved_exact_y(p);
        // Halving got, the exact value and the scale leaves the score unchanged.
        overflow_in_budget = !halved.empty() && std::isfinite(halved[k]) &&
                             overflow_within_budget(mismatch, p.y_format, got / 2, halved[k], scale / 2, u_c, limit);
      }
      const bool indeterminate =
          !std::isfinite(want) && !std::isfinite(got) &&
          infinite_gamma_indeterminate(gamma, z[static_cast<std::size_t>(c)].hi, row_mean, mean_scale, rstd, u_c,
                                       limit, ctx.budget.compute);
      if (mismatch != SpecialMismatch::none && !overflow_in_budget && !indeterminate) {
        ++ctx.result.special_mismatches;
        if (ctx.budget.special == SpecialPolicy::strict) {
          ctx.log.add_at(ViolationClass::special, {r, c}, [&] {
            return fmt::format("{}: got {}{}, want {} ({})", where(r, c), hex_float(got),
                               unwritten[k] ? " (never written)" : "", hex_float(want), special_mismatch_name(mismatch));
          });
        }
        continue;
      }
      if (!std::isfinite(want) || !std::isfinite(got)) continue;  // matching specials, or an overflow in budget

      // want is RN(exact): its ulp is the unit of every measure of this output.
      const double unit = ref::ulp(p.y_format, want);
      const double ulp_err = ulp_error_in(unit, got, exact);
      const double score = error_score_in(unit, got, exact, scale, u_c);
      const std::int64_t distance = ulp_distance(p.y_format, got, want);
      ctx.result.max_ulp_error = std::max(ctx.result.max_ulp_error, ulp_err);
      ctx.result.max_score = std::max(ctx.result.max_score, score);
      ctx.result.max_ulp_distance = std::max(ctx.result.max_ulp_distance, distance);
      if (ctx.collect_errors) {
        ctx.result.ulp_errors.push_back(ulp_err);
        ctx.result.scores.push_back(score);
      }
      // Each limit stands beside the measure it bounds; the others follow for context.
      if (score > limit) {
        const auto message = [&] {
          return fmt::format("{}: got {}, want {} (score {:.4g} > limit {:.4g}; ulp error {:.4g}, ulp distance {}){}",
                             where(r, c), hex_float(got), hex_float(want), score, limit, ulp_err, distance,
                             sequential_sum_hint(ctx.budget, p.n, score));
        };
        ctx.log.add_at(ViolationClass::score, {r, c}, message, score);
      }
      // Rows holding a non-finite value have no rounding to be biased.
      if (!nan_accepted) {
        signed_errors.add(got, want, unit, exact, param_or(p.beta, c, 0.0), static_cast<long double>(limit * u_c) * scale);
      }
      if (ctx.budget.max_ulp && distance > *ctx.budget.max_ulp) {
        const auto message = [&] {
          return fmt::format("{}: got {}, want {} (ulp distance {} > limit {}; score {:.4g}, ulp error {:.4g})",
                             where(r, c), hex_float(got), hex_float(want), distance, *ctx.budget.max_ulp, score,
                             ulp_err);
        };
        ctx.log.add_at(ViolationClass::ulp, {r, c}, message, static_cast<double>(distance));
      }
    }
    signed_errors.end_row(r);
  }
  ctx.result.signed_errors = signed_errors.tally();
}

}  // namespace

CaseEvaluation evaluate_case(const impls::KernelInfo& kernel, const ref::NormProblem& problem,
                             const Budget& budget, const EvaluateOptions& options) {
  CaseEvaluation result;
  const ref::NormProblem adapted = adapt_problem(*kernel.kernel, problem);
  if (budget.max_abs_x && beyond_domain(adapted, *budget.max_abs_x)) {
    result.skipped = true;
    result.skip_reason = fmt::format("an input beyond the declared domain |x| <= {}", *budget.max_abs_x);
    return result;
  }
  const KernelRun run = run_kernel(kernel, adapted);
  if (run.status == NORMCHECK_UNSUPPORTED) {
    result.skipped = true;
    result.skip_reason = "the kernel answered UNSUPPORTED";
    return result;
  }
  ViolationLog log;
  if (!log_call_contracts(log, run.memory_violation, run.fp_state_change, run.status, run.raw_status)) {
    result.violations = log.take();
    return result;
  }

  const ref::OracleResult oracle = ref::compute_oracle(adapted);
  const Context ctx{kernel, adapted, budget, oracle, run, result, log, options.collect_errors};
  check_outputs(ctx);
  check_constant_rows(ctx);
  check_residual_out(ctx);
  check_stats(ctx);
  if (options.check_contracts && adapted.rows > 1) {
    check_row_isolation(ctx);
    check_batch_invariance(ctx);
  }
  result.violations = log.take();
  return result;
}

}  // namespace normcheck::harness
