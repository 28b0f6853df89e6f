// Judges one kernel on one problem: measures against the oracle, the budget and the
// exact contracts (DESIGN.md "Error measures"); docs/error-measures.md explains each.
#include "harness/evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "harness/case.hpp"
#include "harness/kernel_runner.hpp"
#include "harness/measures.hpp"

namespace normcheck::harness {
namespace {

// Keeps one violation per class (the first, or the worst by severity) and how many
// outputs broke it, so a bad kernel yields a short report instead of n lines.
class ViolationLog {
 public:
  void add(std::string_view klass, std::string message, double severity = 0) {
    auto [it, inserted] = entries_.try_emplace(std::string(klass));
    Entry& entry = it->second;
    if (inserted) order_.emplace_back(klass);
    ++entry.count;
    if (inserted || severity > entry.severity) {
      entry.message = std::move(message);
      entry.severity = severity;
    }
  }
  std::vector<Violation> take() const {
    std::vector<Violation> out;
    for (const auto& klass : order_) {
      const Entry& entry = entries_.at(klass);
      std::string message = entry.message;
      if (entry.count > 1) message += fmt::format(" [{} outputs in all]", entry.count);
      out.push_back({klass, std::move(message)});
    }
    return out;
  }

 private:
  struct Entry {
    std::string message;
    double severity = 0;
    std::int64_t count = 0;
  };
  std::map<std::string, Entry, std::less<>> entries_;
  std::vector<std::string> order_;
};

std::size_t at(std::int64_t row, std::int64_t n, std::int64_t col) {
  return static_cast<std::size_t>(row * n + col);
}

// Bitwise equality in the format (NaNs compare by class, payloads are not kept).
bool same_bits(ref::Format format, double a, double b) {
  return ref::to_bits(format, a) == ref::to_bits(format, b);
}

bool row_is_finite(const ref::NormProblem& p, std::int64_t row) {
  for (std::int64_t c = 0; c < p.n; ++c) {
    if (!std::isfinite(p.x[at(row, p.n, c)])) return false;
    if (p.has_residual() && !std::isfinite(p.residual[at(row, p.n, c)])) return false;
  }
  return true;
}

// z = x + residual as an exact pair (rounded sum, its error): TwoSum's pair is unique
// for each exact sum, so pairs compare exactly.
struct ExactSum {
  double hi, lo;
  bool operator==(const ExactSum&) const = default;
};
ExactSum two_sum(double a, double b) {
  const double s = a + b;
  const double bb = s - a;
  return {s, (a - (s - bb)) + (b - bb)};
}

// The row that is normalized, as exact pairs (x alone, the exact sum, or RN_x of it).
std::vector<ExactSum> row_z(const ref::NormProblem& p, const ref::OracleResult& oracle, std::int64_t row) {
  std::vector<ExactSum> z(static_cast<std::size_t>(p.n));
  for (std::int64_t c = 0; c < p.n; ++c) {
    const std::size_t k = at(row, p.n, c);
    if (!p.has_residual()) {
      z[static_cast<std::size_t>(c)] = {p.x[k], 0};
    } else if (p.residual_sum == ref::ResidualSum::rounded) {
      z[static_cast<std::size_t>(c)] = {oracle.residual_out[k], 0};
    } else {
      z[static_cast<std::size_t>(c)] = two_sum(p.x[k], p.residual[k]);
    }
  }
  return z;
}

// mean(|z|): the scale of the row's sums, against which their rounding errors are measured.
double mean_abs(const std::vector<ExactSum>& z) {
  double sum = 0;
  for (const auto& v : z) sum += std::fabs(v.hi);
  return sum / static_cast<double>(z.size());
}

std::string where(std::int64_t row, std::int64_t col) { return fmt::format("row {}, col {}", row, col); }

double param_or(const std::vector<double>& values, std::int64_t col, double absent) {
  return values.empty() ? absent : values[static_cast<std::size_t>(col)];
}

bool beyond_domain(const ref::NormProblem& p, double max_abs_x) {
  const auto beyond = [max_abs_x](double v) { return std::isfinite(v) && std::fabs(v) > max_abs_x; };
  return std::any_of(p.x.begin(), p.x.end(), beyond) ||
         std::any_of(p.residual.begin(), p.residual.end(), beyond);
}

// The smallest magnitude that rounds to infinity in the format: (2 - 2^-p) * 2^emax
// (DBL_MAX stands in for f64, whose threshold is not a double).
double overflow_threshold(ref::Format format) {
  const ref::FormatTraits& t = ref::traits(format);
  if (format == ref::Format::f64) return std::numeric_limits<double>::max();
  return std::ldexp(2.0 - std::ldexp(1.0, -t.precision), t.emax);
}

// Overflow is a rounding event like any other: a kernel whose result crosses the overflow
// threshold (an infinity where the exact y is finite, of either sign), or stops short of it
// (finite for an exact y just beyond), by an error the score budget allows has made no
// special-value mistake. Judged by the score, against the exact y, of the threshold on the
// side of the infinity, or of the finite result.
bool overflow_within_budget(SpecialMismatch mismatch, ref::Format format, double got, double exact,
                            long double scale, double u_c, double limit) {
  if (!std::isfinite(exact)) return false;
  if (mismatch == SpecialMismatch::inf_for_finite || mismatch == SpecialMismatch::wrong_sign_inf) {
    const double edge = std::copysign(overflow_threshold(format), got);
    return error_score(format, edge, exact, scale, u_c) <= limit;
  }
  if (mismatch == SpecialMismatch::finite_for_inf) {
    return error_score(format, got, exact, scale, u_c) <= limit;
  }
  return false;
}

// With gamma = +-inf a column's output is +-inf or NaN according to the sign of the
// normalized value t = (z - mean) * rstd, or whether it is zero. When |t| lies within what
// the kernel's own rounding may do to t (the score budget applied to t's terms, underflow
// included), no kernel in that precision can tell, so NaN and either infinity all conform.
bool infinite_gamma_indeterminate(double gamma, double z, double mean, double mean_scale, double rstd,
                                  double u_c, double limit, ref::Format compute) {
  if (!std::isinf(gamma)) return false;
  const double t = (z - mean) * rstd;
  const long double t_error = limit * u_c * (term_scale(1.0, z, mean_scale, rstd, 0.0) + underflow_scale(compute, 1.0, rstd));
  return std::fabs(t) <= t_error;
}

struct Context {
  const impls::KernelInfo& kernel;
  const ref::NormProblem& problem;  // adapted to the kernel
  const Budget& budget;
  const ref::OracleResult& oracle;
  const KernelRun& run;
  CaseEvaluation& result;
  ViolationLog& log;
  bool collect_errors;
};

void check_outputs(const Context& ctx) {
  const ref::NormProblem& p = ctx.problem;
  const double u_c = unit_roundoff(ctx.budget.compute);
  const double limit = score_limit(ctx.budget, p.n);
  std::vector<bool> unwritten(p.x.size(), false);
  for (auto k : ctx.run.unwritten_y) unwritten[static_cast<std::size_t>(k)] = true;

  for (std::int64_t r = 0; r < p.rows; ++r) {
    const std::vector<ExactSum> z = row_z(p, ctx.oracle, r);
    // The mean's term in A_i: a computed mean carries error relative to the scale of
    // its sum, mean(|z|), not to |mean| (which cancellation can make arbitrarily small;
    // |mean| <= mean(|z|)). docs/error-measures.md, "Which mean".
    const double mean_scale = p.op == ref::Op::layernorm ? mean_abs(z) : 0.0;
    const double rstd = ctx.oracle.rstd[static_cast<std::size_t>(r)];
    const double row_mean = ctx.oracle.mean[static_cast<std::size_t>(r)];  // 0 for RMSNorm
    for (std::int64_t c = 0; c < p.n; ++c) {
      const std::size_t k = at(r, p.n, c);
      const double got = ctx.run.y[k];
      const double want = ctx.oracle.y[k];
      ++ctx.result.outputs_checked;
      const double exact = ctx.oracle.y_exact[k];
      const double gamma = param_or(p.gamma, c, 1.0);
      const long double scale =
          term_scale(gamma, z[static_cast<std::size_t>(c)].hi, mean_scale, rstd, param_or(p.beta, c, 0.0)) +
          underflow_scale(ctx.budget.compute, gamma, rstd);
      const SpecialMismatch mismatch = special_mismatch(got, want);
      const bool overflow_in_budget =
          overflow_within_budget(mismatch, p.y_format, got, exact, scale, u_c, limit);
      const bool indeterminate =
          !std::isfinite(want) && !std::isfinite(got) &&
          infinite_gamma_indeterminate(gamma, z[static_cast<std::size_t>(c)].hi, row_mean, mean_scale, rstd, u_c,
                                       limit, ctx.budget.compute);
      if (mismatch != SpecialMismatch::none && !overflow_in_budget && !indeterminate) {
        ++ctx.result.special_mismatches;
        if (ctx.budget.special == SpecialPolicy::strict) {
          ctx.log.add("special", fmt::format("{}: got {}{}, want {} ({})", where(r, c), hex_float(got),
                                             unwritten[k] ? " (never written)" : "", hex_float(want),
                                             special_mismatch_name(mismatch)));
        }
        continue;
      }
      if (!std::isfinite(want) || !std::isfinite(got)) continue;  // matching specials, or an overflow in budget

      const double ulp_err = ulp_error(p.y_format, got, exact);
      const double score = error_score(p.y_format, got, exact, scale, u_c);
      const std::int64_t distance = ulp_distance(p.y_format, got, want);
      ctx.result.max_ulp_error = std::max(ctx.result.max_ulp_error, ulp_err);
      ctx.result.max_score = std::max(ctx.result.max_score, score);
      ctx.result.max_ulp_distance = std::max(ctx.result.max_ulp_distance, distance);
      if (ctx.collect_errors) {
        ctx.result.ulp_errors.push_back(ulp_err);
        ctx.result.scores.push_back(score);
      }
      const std::string measures =
          fmt::format("score {:.4g}, ulp error {:.4g}, ulp distance {}", score, ulp_err, distance);
      if (score > limit) {
        ctx.log.add("score", fmt::format("{}: got {}, want {} ({} > limit {:.4g})", where(r, c), hex_float(got),
                                         hex_float(want), measures, limit),
                    score);
      }
      if (ctx.budget.max_ulp && distance > *ctx.budget.max_ulp) {
        ctx.log.add("ulp", fmt::format("{}: got {}, want {} ({} > limit {})", where(r, c), hex_float(got),
                                       hex_float(want), measures, *ctx.budget.max_ulp),
                    static_cast<double>(distance));
      }
    }
  }
}

// A constant finite row has var = 0, so with eps > 0 every output is exactly RN(beta):
// the score alone would forgive a tiny nonzero (x - mean) * rstd, this does not.
void check_constant_rows(const Context& ctx) {
  const ref::NormProblem& p = ctx.problem;
  if (p.op != ref::Op::layernorm || !(p.eps > 0)) return;
  for (std::int64_t r = 0; r < p.rows; ++r) {
    if (!row_is_finite(p, r)) continue;
    const std::vector<ExactSum> z = row_z(p, ctx.oracle, r);
    if (!std::all_of(z.begin(), z.end(), [&z](const ExactSum& v) { return v == z.front(); })) continue;
    for (std::int64_t c = 0; c < p.n; ++c) {
      const std::size_t k = at(r, p.n, c);
      const double got = ctx.run.y[k];
      const double want = ctx.oracle.y[k];
      if (std::isnan(want)) continue;  // inf gamma times 0: the special check owns it
      // Value equality: with beta absent the sign of a zero carries no meaning.
      if (!(got == want)) {
        ctx.log.add("constant-row", fmt::format("{}: got {}, want {} (constant row must give exactly beta)",
                                                where(r, c), hex_float(got), hex_float(want)));
      }
    }
  }
}

void check_residual_out(const Context& ctx) {
  const ref::NormProblem& p = ctx.problem;
  if (!p.has_residual()) return;
  for (std::size_t k = 0; k < p.x.size(); ++k) {
    const double got = ctx.run.residual_out[k];
    const double want = ctx.oracle.residual_out[k];
    if (!same_bits(p.x_format, got, want)) {
      const auto row = static_cast<std::int64_t>(k) / p.n;
      ctx.log.add("residual-out",
                  fmt::format("{}: got {}, want {} (residual_out must be RN(x + residual))",
                              where(row, static_cast<std::int64_t>(k) % p.n), hex_float(got), hex_float(want)));
    }
  }
}

// Saved statistics are floats: compare with RN_f32 of the oracle's value using a
// score like that of y, whose scale is what perturbing each input by u_c relative
// does to the statistic: the mean moves by u_c * mean(|z|) (the scale of its sum);
// var + eps moves by about 2 u_c * mean(|z|) * std, so rstd by
// u_c * rstd * (1 + mean(|z|) * rstd). A large mean over a small spread makes rstd
// ill-conditioned (one-pass and Welford kernels lose digits there legitimately).
void check_stats(const Context& ctx) {
  const ref::NormProblem& p = ctx.problem;
  if (ctx.run.mean.empty()) return;
  const double u_c = unit_roundoff(ctx.budget.compute);
  const double limit = score_limit(ctx.budget, p.n);
  const auto judge = [&](std::int64_t r, std::string_view name, double got, double exact, double scale) {
    const double want = ref::round_to_format(ref::Format::f32, exact);
    const SpecialMismatch mismatch = special_mismatch(got, want);
    if (mismatch != SpecialMismatch::none &&
        !overflow_within_budget(mismatch, ref::Format::f32, got, exact, scale, u_c, limit)) {
      ctx.log.add("stats", fmt::format("row {}: {} got {}, want {} ({})", r, name, hex_float(got),
                                       hex_float(want), special_mismatch_name(mismatch)));
      return;
    }
    if (!std::isfinite(want) || !std::isfinite(got)) return;  // matching specials, or an overflow in budget
    const double score = error_score(ref::Format::f32, got, exact, scale, u_c);
    if (score > limit) {
      ctx.log.add("stats", fmt::format("row {}: {} got {}, want {} (score {:.4g} > limit {:.4g})", r, name,
                                       hex_float(got), hex_float(want), score, limit),
                  score);
    }
  };
  for (std::int64_t r = 0; r < p.rows; ++r) {
    const auto ru = static_cast<std::size_t>(r);
    const double scale = mean_abs(row_z(p, ctx.oracle, r));
    if (p.op == ref::Op::layernorm) judge(r, "mean", ctx.run.mean[ru], ctx.oracle.mean[ru], scale);
    const double rstd = std::fabs(ctx.oracle.rstd[ru]);
    judge(r, "rstd", ctx.run.rstd[ru], ctx.oracle.rstd[ru], rstd * (1 + scale * rstd));
  }
}

// Rows listed in `rows` of `other` must equal the same rows of the checked run, bit for bit.
void compare_rows(const Context& ctx, const KernelRun& other, const std::vector<std::int64_t>& rows,
                  std::int64_t other_first_row, std::string_view klass, std::string_view how) {
  const ref::NormProblem& p = ctx.problem;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::int64_t r = rows[i];
    const std::int64_t other_row = other_first_row < 0 ? r : other_first_row + static_cast<std::int64_t>(i);
    for (std::int64_t c = 0; c < p.n; ++c) {
      const double got = other.y[at(other_row, p.n, c)];
      const double want = ctx.run.y[at(r, p.n, c)];
      if (!same_bits(p.y_format, got, want)) {
        ctx.log.add(klass, fmt::format("{}: got {} {}, want {} as in the checked run", where(r, c),
                                       hex_float(got), how, hex_float(want)));
      }
    }
  }
}

// A non-finite value in one row must not change any other row: poison one row with
// NaN (or, when the case already has non-finite rows, make those finite) and compare.
void check_row_isolation(const Context& ctx) {
  const ref::NormProblem& p = ctx.problem;
  ref::NormProblem changed = p;
  std::vector<std::int64_t> finite_rows;
  std::string how;
  std::vector<std::int64_t> non_finite_rows;
  for (std::int64_t r = 0; r < p.rows; ++r) {
    (row_is_finite(p, r) ? finite_rows : non_finite_rows).push_back(r);
  }
  if (finite_rows.empty()) return;
  if (non_finite_rows.empty()) {
    const std::int64_t poisoned = p.rows / 2;
    for (std::int64_t c = 0; c < p.n; ++c) changed.x[at(poisoned, p.n, c)] = std::nan("");
    finite_rows.erase(std::find(finite_rows.begin(), finite_rows.end(), poisoned));
    how = fmt::format("with row {} made NaN", poisoned);
  } else {
    const auto heal = [](double& v) { v = std::isfinite(v) ? v : 0.0; };
    for (const auto r : non_finite_rows) {
      for (std::int64_t c = 0; c < p.n; ++c) {
        heal(changed.x[at(r, p.n, c)]);
        if (p.has_residual()) heal(changed.residual[at(r, p.n, c)]);
      }
    }
    how = fmt::format("with row {} made finite", non_finite_rows.front());
  }
  const KernelRun other = run_kernel(*ctx.kernel.kernel, changed);
  if (other.status == NORMCHECK_UNSUPPORTED) return;
  if (other.status != NORMCHECK_OK) {
    ctx.log.add("row-isolation", fmt::format("status {} {}", static_cast<int>(other.status), how));
    return;
  }
  compare_rows(ctx, other, finite_rows, -1, "row-isolation", how);
}

// Each row computed alone must equal the row computed in the batch. Large batches are
// sampled (first, last and evenly spaced rows) to keep a check cheap.
void check_batch_invariance(const Context& ctx) {
  constexpr std::int64_t kMaxRowsAlone = 8;
  const ref::NormProblem& p = ctx.problem;
  std::vector<std::int64_t> rows;
  const std::int64_t count = std::min(p.rows, kMaxRowsAlone);
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int64_t r = count == 1 ? 0 : i * (p.rows - 1) / (count - 1);
    if (rows.empty() || rows.back() != r) rows.push_back(r);
  }
  for (const auto r : rows) {
    ref::NormProblem alone = p;
    alone.rows = 1;
    const auto first = p.x.begin() + static_cast<std::ptrdiff_t>(r * p.n);
    alone.x.assign(first, first + static_cast<std::ptrdiff_t>(p.n));
    if (p.has_residual()) {
      const auto rfirst = p.residual.begin() + static_cast<std::ptrdiff_t>(r * p.n);
      alone.residual.assign(rfirst, rfirst + static_cast<std::ptrdiff_t>(p.n));
    }
    const KernelRun single = run_kernel(*ctx.kernel.kernel, alone);
    if (single.status == NORMCHECK_UNSUPPORTED) continue;
    if (single.status != NORMCHECK_OK) {
      ctx.log.add("batch-invariance", fmt::format("row {}: status {} when computed alone", r,
                                                  static_cast<int>(single.status)));
      continue;
    }
    compare_rows(ctx, single, {r}, 0, "batch-invariance", "computed alone");
  }
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
  const KernelRun run = run_kernel(*kernel.kernel, adapted);
  if (run.status == NORMCHECK_UNSUPPORTED) {
    result.skipped = true;
    result.skip_reason = "the kernel answered UNSUPPORTED";
    return result;
  }
  ViolationLog log;
  if (!run.memory_violation.empty()) log.add("memory", "kernel " + run.memory_violation);
  if (run.status != NORMCHECK_OK) {
    log.add("status", fmt::format("the kernel returned status {}", static_cast<int>(run.status)));
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
