// The backward oracle's driver: validation, per-row exact statistics, the special-value rules
// (docs/oracle.md, "The backward pass"), then dx per row and dgamma / dbeta per column.
#include "reference/backward_oracle.hpp"

#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "reference/backward_dx.hpp"
#include "reference/backward_sums.hpp"
#include "reference/exact_stats.hpp"

namespace normcheck::ref {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

void validate(const BackwardProblem& p) {
  if (p.n < 1 || p.rows < 0) throw std::invalid_argument("backward oracle: need n >= 1 and rows >= 0");
  if (!(p.eps >= 0.0) || std::isinf(p.eps)) throw std::invalid_argument("backward oracle: eps must be finite and >= 0");
  const auto n = static_cast<std::size_t>(p.n);
  const std::size_t total = n * static_cast<std::size_t>(p.rows);
  if (p.x.size() != total) throw std::invalid_argument("backward oracle: x must hold rows*n values");
  if (p.dy.size() != total) throw std::invalid_argument("backward oracle: dy must hold rows*n values");
  if (!p.gamma.empty() && p.gamma.size() != n) throw std::invalid_argument("backward oracle: gamma must be empty or n");
  auto check = [](const std::vector<double>& values, Format format, const char* field) {
    const FormatTraits& t = traits(format);
    const std::uint64_t dropped = (std::uint64_t{1} << (53 - t.precision)) - 1;
    for (double v : values) {
      // Most values are in the format's normal range: then representable means the dropped
      // significand bits are zero (read from the bits; is_representable is the general test).
      const std::uint64_t bits = std::bit_cast<std::uint64_t>(v);
      const auto field_bits = static_cast<int>((bits >> 52) & 0x7ff);
      if (field_bits >= t.emin + 1023 && field_bits <= t.emax + 1023 && (bits & dropped) == 0) continue;
      if (!is_representable(format, v)) {
        throw std::invalid_argument(std::string("backward oracle: ") + field + " holds a value not representable in " +
                                    std::string(format_name(format)));
      }
    }
  };
  check(p.x, p.x_format, "x");
  check(p.dy, p.dy_format, "dy");
  check(p.gamma, p.param_format, "gamma");
}

// What a row's x makes of its normalized values xhat (the forward rules).
enum class RowKind {
  finite,        // x finite, V > 0: xhat_i = D_i / sqrt(V)
  all_nan,       // a NaN in x, LayerNorm infinities, or V = 0: every xhat NaN
  rms_infinite,  // RMSNorm with infinities: rstd = +0, xhat_i = NaN (x_i infinite) or +-0
};

// IEEE sum of exact terms, one column: NaN wins, opposite infinities give NaN, an infinity
// wins over finite terms, and an exact zero sum is -0 only when every term is -0.
struct ColumnState {
  bool nan = false, positive_inf = false, negative_inf = false, all_negative_zero = true;
  void add_nan() { nan = true; all_negative_zero = false; }
  void add_inf(bool negative) { (negative ? negative_inf : positive_inf) = true; all_negative_zero = false; }
  void add_zero(bool negative) { all_negative_zero = all_negative_zero && negative; }
  void add_nonzero() { all_negative_zero = false; }
  bool special() const { return nan || positive_inf || negative_inf; }
  double special_value() const { return (nan || (positive_inf && negative_inf)) ? kNaN : (positive_inf ? kInf : -kInf); }
};

// Sign of D_i = n X_i - S (exactly).
int deviation_sign(const detail::RowInput& row, const detail::ExactRowStats& stats, std::int64_t i,
                   detail::mpz_int& out, detail::mpz_int& scratch) {
  if (stats.fits_int64) {
    const std::int64_t d = stats.scaled[static_cast<std::size_t>(i)] * stats.n - stats.sum_small;
    return (d > 0) - (d < 0);
  }
  detail::exact_deviation(row, stats, i, out, scratch);
  return out.sign();
}

}  // namespace

BackwardOracleResult compute_backward_oracle(const BackwardProblem& problem, const BackwardOracleOptions& options) {
  validate(problem);
  const std::int64_t rows = problem.rows;
  const std::int64_t n = problem.n;
  const auto count = static_cast<std::size_t>(n);
  const double* gamma = problem.gamma.empty() ? nullptr : problem.gamma.data();
  const bool layernorm = problem.op == Op::layernorm;

  BackwardOracleResult result;
  result.dx.assign(count * static_cast<std::size_t>(rows), kNaN);
  result.dx_exact.assign(result.dx.size(), kNaN);
  result.dgamma.assign(count, kNaN);
  result.dgamma_exact.assign(count, kNaN);
  result.dbeta.assign(count, kNaN);
  result.dbeta_exact.assign(count, kNaN);

  std::vector<detail::ExactRowStats> stats(static_cast<std::size_t>(rows));
  std::vector<RowKind> kinds(static_cast<std::size_t>(rows));
  std::vector<detail::BackwardRow> finite_rows;
  detail::DxScratch scratch;
  bool gamma_finite = true;
  for (std::size_t i = 0; gamma && i < count; ++i) gamma_finite = gamma_finite && std::isfinite(gamma[i]);

  // x holds values of x_format (validated): claiming its precision lets the vector statistics
  // take ordinary rows (claiming 53 scales the smallest |x| to 2^52, past their 2^47 limit).
  const int x_bits = traits(problem.x_format).precision;
  for (std::int64_t r = 0; r < rows; ++r) {
    const double* x = problem.x.data() + r * n;
    const double* dy = problem.dy.data() + r * n;
    bool has_nan = false, has_inf = false, dy_finite = true;
    for (std::size_t i = 0; i < count; ++i) {
      has_nan = has_nan || std::isnan(x[i]);
      has_inf = has_inf || std::isinf(x[i]);
      dy_finite = dy_finite && std::isfinite(dy[i]);
    }
    RowKind& kind = kinds[static_cast<std::size_t>(r)];
    if (has_nan || (has_inf && layernorm)) {
      kind = RowKind::all_nan;
      continue;
    }
    if (has_inf) {
      kind = RowKind::rms_infinite;
      continue;
    }
    const detail::RowInput input{x, nullptr, n, problem.eps, problem.op, x_bits};
    detail::ExactRowStats& st = stats[static_cast<std::size_t>(r)];
    detail::compute_exact_stats(input, st);
    if (st.denom_square == 0) {
      kind = RowKind::all_nan;  // rstd = +inf, xhat = 0 * inf
      continue;
    }
    kind = RowKind::finite;
    const detail::BackwardRow row{input, &st, dy, gamma};
    finite_rows.push_back(row);
    // A non-finite g_i (gamma or dy inf / NaN) reaches every dx_i of the row through mean(g)
    // and mean(g xhat): the row's dx is NaN (docs/oracle.md).
    if (dy_finite && gamma_finite) {
      result.exact_path_outputs += detail::backward_dx_row(row, problem.x_format, options.force_exact, scratch, result.dx.data() + r * n,
                              result.dx_exact.data() + r * n);
    }
  }

  // dgamma: the terms dy_rj xhat_rj, classified by the forward rules.
  detail::ColumnPlan gamma_plan{std::vector<char>(count, 0), std::vector<char>(count, 0)};
  detail::ColumnPlan beta_plan = gamma_plan;
  detail::mpz_int d_value, d_scratch;
  // Row by row (the arrays are row-major), one state per column.
  std::vector<ColumnState> g_states(count), b_states(count);
  if (rows == 0) {
    for (std::size_t j = 0; j < count; ++j) g_states[j].all_negative_zero = b_states[j].all_negative_zero = false;
  }
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::size_t j = 0; j < count; ++j) {
      ColumnState& g_state = g_states[j];
      ColumnState& b_state = b_states[j];
      const double x = problem.x[static_cast<std::size_t>(r * n) + j];
      const double dy = problem.dy[static_cast<std::size_t>(r * n) + j];
      if (std::isnan(dy)) {
        b_state.add_nan();
      } else if (std::isinf(dy)) {
        b_state.add_inf(dy < 0);
      } else if (dy == 0.0) {
        b_state.add_zero(std::signbit(dy));
      } else {
        b_state.add_nonzero();
      }
      switch (kinds[static_cast<std::size_t>(r)]) {
        case RowKind::all_nan:
          g_state.add_nan();
          break;
        case RowKind::rms_infinite:
          if (std::isinf(x) || !std::isfinite(dy)) {
            g_state.add_nan();
          } else {
            g_state.add_zero(std::signbit(dy) != std::signbit(x));
          }
          break;
        case RowKind::finite: {
          if (std::isnan(dy)) {
            g_state.add_nan();
            break;
          }
          const bool need_sign = std::isinf(dy) || g_state.all_negative_zero;
          if (!need_sign) break;  // a finite term: only the exact sum matters
          const detail::RowInput input{problem.x.data() + r * n, nullptr, n, problem.eps, problem.op, x_bits};
          const int d_sign = deviation_sign(input, stats[static_cast<std::size_t>(r)], static_cast<std::int64_t>(j),
                                            d_value, d_scratch);
          if (std::isinf(dy)) {
            if (d_sign == 0) {
              g_state.add_nan();  // inf * 0
            } else {
              g_state.add_inf((dy < 0) != (d_sign < 0));
            }
          } else if (dy != 0.0 && d_sign != 0) {
            g_state.add_nonzero();
          } else {
            // xhat = +0 for LayerNorm (D = 0 is an exact cancellation), x's zero for RMSNorm.
            const bool xhat_negative = d_sign != 0 ? d_sign < 0 : (!layernorm && std::signbit(x));
            g_state.add_zero(std::signbit(dy) != xhat_negative);
          }
          break;
        }
      }
    }
  }
  for (std::size_t j = 0; j < count; ++j) {
    const ColumnState& g_state = g_states[j];
    const ColumnState& b_state = b_states[j];
    if (g_state.special()) {
      result.dgamma[j] = result.dgamma_exact[j] = g_state.special_value();
    } else {
      gamma_plan.needed[j] = 1;
      gamma_plan.zero_is_negative[j] = g_state.all_negative_zero;
    }
    if (b_state.special()) {
      result.dbeta[j] = result.dbeta_exact[j] = b_state.special_value();
    } else {
      beta_plan.needed[j] = 1;
      beta_plan.zero_is_negative[j] = b_state.all_negative_zero;
    }
  }
  result.exact_path_outputs += detail::dbeta_columns(problem.dy.data(), rows, n, problem.param_format,
                                                     options.force_exact, beta_plan, result.dbeta.data(),
                                                     result.dbeta_exact.data());
  std::int64_t dgamma_exact_count = 0;
  result.dgamma_capped = detail::dgamma_columns(finite_rows, n, problem.param_format, options.force_exact, gamma_plan,
                                                result.dgamma.data(), result.dgamma_exact.data(), dgamma_exact_count);
  result.exact_path_outputs += dgamma_exact_count;
  return result;
}

}  // namespace normcheck::ref
