// The backward judge (backward_evaluate.hpp); docs/error-measures.md, "The backward pass".
#include "harness/backward_evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "harness/backward_measures.hpp"
#include "harness/backward_runner.hpp"
#include "harness/evaluate_support.hpp"
#include "harness/hex_float.hpp"
#include "harness/measures.hpp"
#include "harness/special_value_policy.hpp"
#include "reference/backward_oracle.hpp"
#include "reference/oracle.hpp"

namespace normcheck::harness {
namespace {

using detail::ViolationLog;

// The exact gradients of an f64 case where they lie beyond double's range (an f64 dx of
// 2^1358, say, from g = gamma * dy near 2^1474 and a cancellation): there the oracle's exact
// value is inf, so a finite result within the allowance could not be judged by its score.
// dx is linear in gamma and in dy, dgamma and dbeta in dy, so the oracle on gamma times
// 2^-a and dy times 2^-b gives them times 2^-(a + b), in range (as the forward judge halves
// gamma and beta: evaluate.cpp). A scaling counts only where it is exact (no bit of a
// subnormal lost); totals grow in steps, so that the first in range is not far below
// overflow (a subnormal scaled value would widen its ulp). Computed once per scaling, and
// only for a finite result whose exact value is inf.
class ScaledExact {
 public:
  explicit ScaledExact(const ref::BackwardProblem& problem)
      : problem_(problem), gamma_room_(exact_shift(problem.gamma)), dy_room_(exact_shift(problem.dy)) {}

  // Whether some finite result had an exact value no exact scaling brings into range (gamma
  // and dy mixing values near overflow with subnormals): nothing measures it.
  bool unjudged() const { return unjudged_; }

  // Output `name`'s element k: its exact value times 2^-s and s, by the first total shift
  // that makes it finite; nullopt when none does (then unjudged() is true).
  std::optional<std::pair<double, int>> at(std::string_view name, std::size_t k) {
    const bool dx = name == "dx";
    const int room = (dx ? gamma_room_ : 0) + dy_room_;  // dgamma, dbeta do not depend on gamma
    unjudged_ = unjudged_ || room == 0;
    if (room == 0) return std::nullopt;
    for (int total : {64, 128, 256, 512, 768, 1024, 1536, 2048, 2560, 3072}) {
      total = std::min(total, room);
      const int on_gamma = dx ? std::min(total, gamma_room_) : 0;
      const ref::BackwardOracleResult& oracle = scaled(on_gamma, total - on_gamma);
      const std::vector<double>& exact = dx ? oracle.dx_exact : name == "dgamma" ? oracle.dgamma_exact
                                                                                  : oracle.dbeta_exact;
      if (std::isfinite(exact[k])) return std::pair{exact[k], total};
      if (total == room) break;
    }
    unjudged_ = true;
    return std::nullopt;
  }

 private:
  // The largest s with every finite value times 2^-s exact in f64: down to its lowest set
  // bit at 2^-1074. No gamma (ones) and zeros never limit it.
  static int exact_shift(const std::vector<double>& values) {
    int room = 1 << 14;
    for (double v : values) {
      if (v == 0 || !std::isfinite(v)) continue;
      int exponent = 0;
      double mantissa = std::frexp(std::fabs(v), &exponent);  // v = mantissa * 2^exponent
      while (mantissa != std::floor(mantissa)) {
        mantissa *= 2;
        --exponent;
      }
      room = std::min(room, exponent + 1074);  // lowest set bit at 2^exponent
    }
    return room;
  }

  const ref::BackwardOracleResult& scaled(int on_gamma, int on_dy) {
    auto [it, added] = oracles_.try_emplace({on_gamma, on_dy});
    if (added) {
      ref::BackwardProblem smaller = problem_;
      if (smaller.gamma.empty()) smaller.gamma.assign(static_cast<std::size_t>(problem_.n), 1.0);  // no gamma: ones
      for (double& v : smaller.gamma) v = std::ldexp(v, -on_gamma);
      for (double& v : smaller.dy) v = std::ldexp(v, -on_dy);
      it->second = ref::compute_backward_oracle(smaller);
    }
    return it->second;
  }

  const ref::BackwardProblem& problem_;
  const int gamma_room_, dy_room_;
  bool unjudged_ = false;
  std::map<std::pair<int, int>, ref::BackwardOracleResult> oracles_;
};

// One gradient output array and what judges it.
struct GradientOutput {
  std::string_view name;  // "dx", "dgamma", "dbeta"
  ref::Format format;
  const std::vector<double>& got;
  const std::vector<double>& want;   // RN(exact)
  const std::vector<double>& exact;  // exact, as doubles
  const std::vector<std::int64_t>& unwritten;
  std::int64_t columns;  // n for dx (row, col), 0 for the per-column outputs
  double limit;
  ScaledExact* beyond_double;  // the exact values where they overflow double (f64 outputs)
};

std::string output_name(const GradientOutput& out, std::size_t k) {
  if (out.columns == 0) return fmt::format("{} col {}", out.name, k);
  const auto columns = static_cast<std::size_t>(out.columns);
  return fmt::format("{} row {}, col {}", out.name, k / columns, k % columns);
}

OutputLocation location_of(const GradientOutput& out, std::size_t k) {
  if (out.columns == 0) return {-1, static_cast<std::int64_t>(k)};
  const auto columns = static_cast<std::size_t>(out.columns);
  return {static_cast<std::int64_t>(k / columns), static_cast<std::int64_t>(k % columns)};
}

// scale(k), underflow(k), stats_scale(k): the three parts of output k's allowance.
template <class Scale, class Underflow, class StatsScale>
void judge(const GradientOutput& out, double u_c, const Budget& budget, Scale scale, Underflow underflow,
           StatsScale stats_scale, BackwardEvaluation& result, ViolationLog& log) {
  std::vector<bool> unwritten(out.got.size(), false);
  for (auto k : out.unwritten) unwritten[static_cast<std::size_t>(k)] = true;
  OutputGroup& group = result.groups.emplace_back();
  group.name = std::string(out.name);
  for (std::size_t k = 0; k < out.got.size(); ++k) {
    const double got = out.got[k];
    const double want = out.want[k];
    ++result.outputs_checked;
    ++group.outputs;
    if (unwritten[k]) {  // the sentinel is a NaN: never taken for an expected one
      ++result.special_mismatches;
      if (budget.special == SpecialPolicy::strict) {
        log.add_at(ViolationClass::special, location_of(out, k),
                   [&] { return fmt::format("{}: never written, want {}", output_name(out, k), hex_float(want)); });
      }
      continue;
    }
    // A non-finite exact gradient (a non-finite input, or var + eps = 0) is NaN or an
    // infinity by the order of IEEE operations on the inputs, which the kernel's own
    // rounding of xhat near 0 can change (0 * inf against tiny * inf): any non-finite
    // result is the IEEE one for some order. A finite one is not.
    if (!std::isfinite(want) && !std::isfinite(out.exact[k]) && !std::isfinite(got)) continue;
    const double exact = out.exact[k];
    // The allowance as one scale of u_c, for the overflow rule shared with the forward pass.
    const long double combined =
        scale(k) + underflow(k) + static_cast<long double>(kSavedStatisticsRoundoff / u_c) * stats_scale(k);
    const SpecialMismatch mismatch = special_mismatch(got, want);
    bool overflow_in_budget = overflow_within_budget(mismatch, out.format, got, exact, combined, u_c, out.limit);
    if (mismatch == SpecialMismatch::finite_for_inf && std::isinf(exact) && out.format == ref::Format::f64) {
      // got, the exact value and the allowance all scaled by 2^-s: the same score.
      if (const auto scaled = out.beyond_double->at(out.name, k)) {
        overflow_in_budget = overflow_within_budget(mismatch, out.format, std::ldexp(got, -scaled->second),
                                                    scaled->first, std::ldexp(combined, -scaled->second), u_c,
                                                    out.limit);
      } else {
        continue;  // unmeasurable: the case is skipped unless another output fails (evaluate_backward_case)
      }
    }
    if (mismatch != SpecialMismatch::none && !overflow_in_budget) {
      ++result.special_mismatches;
      if (budget.special == SpecialPolicy::strict) {
        log.add_at(ViolationClass::special, location_of(out, k), [&] {
          return fmt::format("{}: got {}, want {} ({})", output_name(out, k), hex_float(got), hex_float(want),
                             special_mismatch_name(mismatch));
        });
      }
      continue;
    }
    if (!std::isfinite(want) || !std::isfinite(got)) continue;  // an overflow within budget
    const double unit = ref::ulp(out.format, want);
    const double ulp_err = ulp_error_in(unit, got, exact);
    const double score = backward_score(unit, got, exact, scale(k), underflow(k), stats_scale(k), u_c);
    const std::int64_t distance = ulp_distance(out.format, got, want);
    result.max_ulp_error = std::max(result.max_ulp_error, ulp_err);
    result.max_score = std::max(result.max_score, score);
    group.max_ulp_error = std::max(group.max_ulp_error, ulp_err);
    group.max_score = std::max(group.max_score, score);
    result.max_ulp_distance = std::max(result.max_ulp_distance, distance);
    if (score > out.limit) {
      log.add_at(
          ViolationClass::score, location_of(out, k),
          [&] {
            return fmt::format("{}: got {}, want {} (score {:.4g} > limit {:.4g}; ulp error {:.4g}, ulp distance {})",
                               output_name(out, k), hex_float(got), hex_float(want), score, out.limit, ulp_err, distance);
          },
          score);
    }
    if (budget.max_ulp && distance > *budget.max_ulp) {
      log.add_at(
          ViolationClass::ulp, location_of(out, k),
          [&] {
            return fmt::format("{}: got {}, want {} (ulp distance {} > limit {}; score {:.4g})", output_name(out, k),
                               hex_float(got), hex_float(want), distance, *budget.max_ulp, score);
          },
          static_cast<double>(distance));
    }
  }
}


// Whether row r's var + eps is exactly 0, so that its rstd is truly infinite: eps 0 and every
// x of the row equal (RMSNorm: zero). An infinite RN_f64(rstd) of any other row is an
// overflow of double.
bool variance_is_zero(const ref::BackwardProblem& p, std::size_t r) {
  if (p.eps != 0) return false;
  const auto n = static_cast<std::size_t>(p.n);
  const auto first = p.x.begin() + static_cast<std::ptrdiff_t>(r * n);
  const double pivot = p.op == ref::Op::layernorm ? *first : 0.0;
  return std::all_of(first, first + static_cast<std::ptrdiff_t>(n), [pivot](double v) { return v == pivot; });
}

// "" when f32 can hold every row's statistics; else why not. A finite, non-zero rstd beyond
// f32's range (var + eps below 2^-256: eps 0 and a spread of subnormals) is handed as inf,
// one below its normal range (an f64 row of spread beyond 2^126) as a subnormal or 0 with a
// relative error far above u_s, and an f64 row's mean beyond f32 as inf: from those no kernel can compute the gradient,
// so the case says nothing about the kernel. (A kernel that recomputes the statistics could
// be judged; the ABI does not say which a kernel does.) An rstd beyond even double's range
// (an f64 row of subnormals a few ulps apart, eps 0: var below 2^-2046) is inf in the
// oracle's statistics too, and the allowance's scales built on it are not numbers (0 * inf):
// a kernel that recomputes it in long double was a false finding (found by backward_fuzzer).
std::string unfaithful_statistics(const ref::BackwardProblem& problem, const ref::OracleResult& stats,
                                  const SavedStatistics& saved) {
  for (std::size_t r = 0; r < saved.rstd.size(); ++r) {
    const double exact = stats.rstd[r];
    if (std::isinf(exact) && !variance_is_zero(problem, r)) {
      return fmt::format("row {}'s rstd is beyond double's range, so neither the saved statistics nor the judge's "
                         "scales can hold it",
                         r);
    }
    // Below f32's normal range the saved rstd's relative error is no longer u_s.
    const bool representable = !std::isfinite(exact) || exact == 0 ||
                               (std::isfinite(saved.rstd[r]) && saved.rstd[r] >= 0x1p-126);
    if (!representable) {
      return fmt::format("row {}'s rstd {} is outside f32's normal range, so the saved statistics cannot hold it", r,
                         hex_float(exact));
    }
    if (r < saved.mean.size() && std::isfinite(stats.mean[r]) && !std::isfinite(saved.mean[r])) {
      return fmt::format("row {}'s mean {} is beyond f32, so the saved statistics cannot hold it", r,
                         hex_float(stats.mean[r]));
    }
  }
  return "";
}

}  // namespace

BackwardEvaluation evaluate_backward_case(const impls::BackwardKernelInfo& kernel, const ref::BackwardProblem& problem,
                                          const Budget& budget) {
  BackwardEvaluation result;
  // The forward oracle once: its exact statistics scale the score, rounded to f32 they are
  // what the kernel is handed.
  ref::OracleOptions statistics;
  statistics.statistics_only = true;
  const ref::OracleResult stats = ref::compute_oracle(forward_problem(problem), statistics);
  const SavedStatistics saved = saved_statistics(stats, problem.op);
  if (const std::string why = unfaithful_statistics(problem, stats, saved); !why.empty()) {
    result.skipped = true;
    result.skip_reason = why;
    return result;
  }
  const BackwardKernelRun run = run_backward_kernel(kernel, problem, saved);
  if (run.status == NORMCHECK_UNSUPPORTED) {
    result.skipped = true;
    result.skip_reason = "the kernel answered UNSUPPORTED";
    return result;
  }
  ViolationLog log;
  if (!detail::log_call_contracts(log, run.memory_violation, run.fp_state_change, run.status, run.raw_status)) {
    result.violations = log.take();
    return result;
  }

  const ref::BackwardOracleResult oracle = ref::compute_backward_oracle(problem);
  const BackwardScales scales = backward_scales(problem, budget.compute, stats.mean, stats.rstd, saved.mean);
  const double u_c = unit_roundoff(budget.compute);
  const double dx_limit = score_limit(budget, problem.n);
  const double column_limit = score_limit(budget, problem.rows);
  const auto none = [](std::size_t) { return 0.0L; };
  ScaledExact beyond_double(problem);

  judge(GradientOutput{"dx", problem.x_format, run.dx, oracle.dx, oracle.dx_exact, run.unwritten_dx, problem.n,
                       dx_limit, &beyond_double},
        u_c, budget, [&](std::size_t k) { return scales.dx[k]; }, [&](std::size_t k) { return scales.dx_underflow[k]; },
        [&](std::size_t k) { return scales.dx_saved[k]; }, result, log);
  const auto column_underflow = [&](std::size_t) { return scales.dgamma_underflow; };
  judge(GradientOutput{"dgamma", problem.param_format, run.dgamma, oracle.dgamma, oracle.dgamma_exact,
                       run.unwritten_dgamma, 0, column_limit, &beyond_double},
        u_c, budget, [&](std::size_t k) { return scales.dgamma[k]; }, column_underflow,
        [&](std::size_t k) { return scales.dgamma[k]; }, result, log);
  if (problem.op == ref::Op::layernorm) {
    judge(GradientOutput{"dbeta", problem.param_format, run.dbeta, oracle.dbeta, oracle.dbeta_exact,
                         run.unwritten_dbeta, 0, column_limit, &beyond_double},
          u_c, budget, [&](std::size_t k) { return scales.dbeta[k]; }, column_underflow, none, result, log);
  }
  result.violations = log.take();
  if (result.violations.empty() && beyond_double.unjudged()) {
    result.skipped = true;
    result.skip_reason = "an exact gradient is beyond double's range and no exact scaling of gamma and dy brings it "
                         "in range, so the result there cannot be measured";
  }
  return result;
}


}  // namespace normcheck::harness
