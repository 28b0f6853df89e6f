// The exact contracts of evaluate_case: constant rows give beta, residual_out is the
// correctly rounded sum, saved statistics within budget, row isolation, batch invariance.
#include <algorithm>
#include <cmath>

#include "harness/case_scale.hpp"
#include "harness/hex_float.hpp"
#include "harness/evaluate_support.hpp"
#include "harness/measures.hpp"
#include "harness/special_value_policy.hpp"

namespace normcheck::harness::detail {

// A constant finite row has var = 0, so with eps > 0 every output is exactly RN(beta):
// the score alone would forgive a tiny nonzero (x - mean) * rstd, this does not.
void check_constant_rows(const Context& ctx) {
  const ref::NormProblem& p = ctx.problem;
  if (p.op != ref::Op::layernorm || !(p.eps > 0)) return;
  for (std::int64_t r = 0; r < p.rows; ++r) {
    if (!row_is_finite(p, r)) continue;
    if (!row_z_constant(p, ctx.oracle, r)) continue;
    for (std::int64_t c = 0; c < p.n; ++c) {
      const std::size_t k = at(r, p.n, c);
      const double got = ctx.run.y[k];
      const double want = ctx.oracle.y[k];
      if (std::isnan(want)) continue;  // inf gamma times 0: the special check owns it
      // Value equality: with beta absent the sign of a zero carries no meaning.
      if (!(got == want)) {
        ctx.log.add_at(ViolationClass::constant_row, {r, c}, [&] {
          return fmt::format("{}: got {}, want {} (constant row must give exactly beta)", where(r, c),
                             hex_float(got), hex_float(want));
        });
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
    if (!same_bits(got, want)) {
      const auto row = static_cast<std::int64_t>(k) / p.n;
      ctx.log.add_at(ViolationClass::residual_out, {row, static_cast<std::int64_t>(k) % p.n}, [&] {
        return fmt::format("{}: got {}, want {} (residual_out must be RN(x + residual))",
                           where(row, static_cast<std::int64_t>(k) % p.n), hex_float(got), hex_float(want));
      });
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
    if (std::isnan(got) && row_admits_nan(p, ctx.oracle, r)) return;  // IEEE's NaN for the row
    const double want = ref::round_to_format(ref::Format::f32, exact);
    const SpecialMismatch mismatch = special_mismatch(got, want);
    if (mismatch != SpecialMismatch::none &&
        !overflow_within_budget(mismatch, ref::Format::f32, got, exact, scale, u_c, limit)) {
      ctx.log.add_at(ViolationClass::stats, {r, -1}, [&] {
        return fmt::format("row {}: {} got {}, want {} ({})", r, name, hex_float(got), hex_float(want),
                           special_mismatch_name(mismatch));
      });
      return;
    }
    if (!std::isfinite(want) || !std::isfinite(got)) return;  // matching specials, or an overflow in budget
    const double score = error_score(ref::Format::f32, got, exact, scale, u_c);
    if (score > limit) {
      // The message is formatted only when kept (a kernel whose every row is wrong keeps one).
      ctx.log.add_at(ViolationClass::stats, {r, -1}, [&] {
        return fmt::format("row {}: {} got {}, want {} (score {:.4g} > limit {:.4g})", r, name, hex_float(got),
                           hex_float(want), score, limit);
      }, score);
    }
  };
  for (std::int64_t r = 0; r < p.rows; ++r) {
    const auto ru = static_cast<std::size_t>(r);
    const double scale = mean_abs(p, ctx.oracle, r);
    // A row holding an infinity has no finite scale (RMSNorm's rstd = +0 times inf is NaN,
    // and a NaN score passes every limit): there a statistic must be its exact value.
    const auto finite_or_zero = [](double v) { return std::isfinite(v) ? v : 0.0; };
    if (p.op == ref::Op::layernorm) judge(r, "mean", ctx.run.mean[ru], ctx.oracle.mean[ru], finite_or_zero(scale));
    const double rstd = std::fabs(ctx.oracle.rstd[ru]);
    judge(r, "rstd", ctx.run.rstd[ru], ctx.oracle.rstd[ru], finite_or_zero(rstd * (1 + scale * rstd)));
  }
}

namespace {

// Rows listed in `rows` of `other` must equal the same rows of the checked run, bit for bit.
void compare_rows(const Context& ctx, const KernelRun& other, const std::vector<std::int64_t>& rows,
                  std::int64_t other_first_row, ViolationClass klass, std::string_view how) {
  const ref::NormProblem& p = ctx.problem;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::int64_t r = rows[i];
    const std::int64_t other_row = other_first_row < 0 ? r : other_first_row + static_cast<std::int64_t>(i);
    for (std::int64_t c = 0; c < p.n; ++c) {
      const double got = other.y[at(other_row, p.n, c)];
      const double want = ctx.run.y[at(r, p.n, c)];
      if (!same_bits(got, want)) {
        ctx.log.add_at(klass, {r, c}, [&] {
          return fmt::format("{}: got {} {}, want {} as in the checked run", where(r, c), hex_float(got), how,
                             hex_float(want));
        });
      }
    }
  }
}

}  // namespace

// A non-finite value in one row must not change any other row: poison one row with
// NaN (in a batch of more than 8 rows: the first, the middle and the last, where a tiled
// kernel's shared statistics or scale would carry it furthest), or, when the case
// already has non-finite rows, make those finite, and compare.
void check_row_isolation(const Context& ctx) {
  constexpr std::int64_t kOnePoisonedRowUpTo = 8;
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
    std::vector<std::int64_t> poisoned{p.rows / 2};
    if (p.rows > kOnePoisonedRowUpTo) poisoned = {0, p.rows / 2, p.rows - 1};
    for (const auto r : poisoned) {
      for (std::int64_t c = 0; c < p.n; ++c) changed.x[at(r, p.n, c)] = std::nan("");
      finite_rows.erase(std::find(finite_rows.begin(), finite_rows.end(), r));
    }
    how = poisoned.size() == 1 ? fmt::format("with row {} made NaN", poisoned.front())
                               : fmt::format("with rows {}, {} and {} made NaN", poisoned[0], poisoned[1], poisoned[2]);
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
  const KernelRun other = run_kernel(ctx.kernel, changed);
  if (other.status == NORMCHECK_UNSUPPORTED) return;
  if (other.status != NORMCHECK_OK) {
    ctx.log.add(ViolationClass::row_isolation, fmt::format("status {} {}", other.raw_status, how));
    return;
  }
  compare_rows(ctx, other, finite_rows, -1, ViolationClass::row_isolation, how);
}

std::vector<std::int64_t> batch_invariance_rows(std::int64_t rows) {
  constexpr std::int64_t kEvenlySpaced = 8;
  std::vector<std::int64_t> out;
  const std::int64_t count = std::min(rows, kEvenlySpaced);
  for (std::int64_t i = 0; i < count; ++i) out.push_back(count == 1 ? 0 : i * (rows - 1) / (count - 1));
  // Where batched kernels change strategy or tile: the last row of a batch of s, the first
  // row after it and the next, for the switch sizes, the powers of two from 8 and the
  // middles of their tiles (3 * 2^k: 12, 24, 48, ..., the rows past a partial tile).
  const auto around = [&out, rows](std::int64_t s) {
    for (const std::int64_t r : {s - 1, s, s + 1})
      if (r >= 0 && r < rows) out.push_back(r);
  };
  for (const std::int64_t s : kStrategySwitchBatchSizes) around(s);
  for (std::int64_t s = 8; s < rows; s *= 2) {
    around(s);
    around(3 * s / 2);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

namespace {

// The rows of p listed in `rows`, in that order, as a batch of their own.
ref::NormProblem batch_of_rows(const ref::NormProblem& p, const std::vector<std::int64_t>& rows) {
  // Every field but the per-row arrays, which are built from the chosen rows: copying the
  // whole problem first would copy a batch of 2^18 values for each of ~60 sampled rows.
  ref::NormProblem batch;
  batch.op = p.op;
  batch.x_format = p.x_format;
  batch.param_format = p.param_format;
  batch.y_format = p.y_format;
  batch.n = p.n;
  batch.eps = p.eps;
  batch.gamma = p.gamma;
  batch.beta = p.beta;
  batch.residual_sum = p.residual_sum;
  batch.rows = static_cast<std::int64_t>(rows.size());
  batch.x.reserve(rows.size() * static_cast<std::size_t>(p.n));
  if (p.has_residual()) batch.residual.reserve(batch.x.capacity());
  for (const auto r : rows) {
    const auto first = static_cast<std::ptrdiff_t>(r * p.n);
    batch.x.insert(batch.x.end(), p.x.begin() + first, p.x.begin() + first + static_cast<std::ptrdiff_t>(p.n));
    if (p.has_residual()) {
      batch.residual.insert(batch.residual.end(), p.residual.begin() + first,
                            p.residual.begin() + first + static_cast<std::ptrdiff_t>(p.n));
    }
  }
  return batch;
}

}  // namespace

// A row must give the same bits whatever batch it is in and wherever: each sampled row
// (batch_invariance_rows: first, last, evenly spaced, and around the strategy-switch
// sizes) computed alone, and the sampled rows together as a batch of another size, in
// which each sits at another position, must equal the checked run. Every extra run is
// of the sampled rows only (about 60 of a batch of 4096), so the cost stays a few small
// kernel calls.
void check_batch_invariance(const Context& ctx) {
  const ref::NormProblem& p = ctx.problem;
  const std::vector<std::int64_t> rows = batch_invariance_rows(p.rows);
  for (const auto r : rows) {
    const KernelRun single = run_kernel(ctx.kernel, batch_of_rows(p, {r}));
    if (single.status == NORMCHECK_UNSUPPORTED) continue;
    if (single.status != NORMCHECK_OK) {
      ctx.log.add(ViolationClass::batch_invariance, fmt::format("row {}: status {} when computed alone", r,
                                                  single.raw_status));
      continue;
    }
    compare_rows(ctx, single, {r}, 0, ViolationClass::batch_invariance, "computed alone");
  }
  if (rows.size() < 2 || static_cast<std::int64_t>(rows.size()) == p.rows) return;  // that batch is the case
  const KernelRun sampled = run_kernel(ctx.kernel, batch_of_rows(p, rows));
  if (sampled.status == NORMCHECK_UNSUPPORTED) return;
  const std::string how = fmt::format("in a batch of the {} sampled rows", rows.size());
  if (sampled.status != NORMCHECK_OK) {
    ctx.log.add(ViolationClass::batch_invariance, fmt::format("status {} {}", sampled.raw_status, how));
    return;
  }
  compare_rows(ctx, sampled, rows, 0, ViolationClass::batch_invariance, how);
}

}  // namespace normcheck::harness::detail
