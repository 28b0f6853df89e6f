// compute_oracle: exact statistics per row, then every output rounded once, certified by the
// double-double tier, else the long double tier, else decided by exact integer comparison.
#include "reference/oracle.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "reference/certified_search.hpp"
#include "reference/double_tier.hpp"
#include "reference/exact_compare.hpp"
#include "reference/exact_stats.hpp"
#include "reference/fast_path.hpp"
#include "reference/non_finite_rows.hpp"
#include "reference/refined_guess.hpp"
#include "reference/rounding.hpp"

// The validation passes are OR-reductions that run four lanes wide with AVX2: a clone for
// CPUs that have it, picked at load time (the build targets baseline x86-64).
#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__)
#define NORMCHECK_AVX2_CLONE __attribute__((target_clones("avx2", "default")))
#else
#define NORMCHECK_AVX2_CLONE
#endif

namespace normcheck::ref {
namespace {

using detail::Dyadic;
using detail::mpz_int;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Error bound of the fast path (docs/oracle.md): t_hat = fl(fl(D_hat*gamma)*R_hat) with
// D_hat = D(1+d), |d| <= delta_d (0 when D fits int64, else 2^-63 from truncation to 64
// bits), R_hat = RN_ld(RN_128(1/sqrt(V))) so |rho| <= u + 2^-128; two more roundings.
// |t_hat - t| <= kappa/(1-kappa) |t_hat| with kappa <= delta_d + 3u + 2^-126 (u = 2^-64),
// and fl(beta + t_hat) adds u|y_hat|. The factor (1 + 2^-20) absorbs O(u^2) terms and the
// rounding of the bound's own evaluation.
constexpr long double kSlack = 1.0L + 1.0L / (1 << 20);
constexpr long double kTwoPow63Inv = 1.0L / 9223372036854775808.0L;
constexpr long double kTermBoundExact =
    (3 * detail::kLongDoubleUnit + 1.0L / 85070591730234615865843651857942052864.0L) * kSlack;
constexpr long double kTermBoundTruncated = kTermBoundExact + kTwoPow63Inv * kSlack;
constexpr long double kSumBound = detail::kLongDoubleUnit * kSlack;

bool same_value_and_sign(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return a == b && std::signbit(a) == std::signbit(b);
}

// True when every value is exactly a value of the format (NaN and infinities included). A
// normal-range value whose dropped significand bits are zero is accepted from its bit pattern,
// by OR-reductions over 64-bit shifts, masks and differences (SSE2 vectorizes them; 64-bit
// comparisons it has not), a chunk at a time; only a chunk holding some other value (zeros,
// subnormals, overflow, non-finite: a few in a large f16 batch) takes the general test.
NORMCHECK_AVX2_CLONE bool all_representable(const FormatTraits& t,
                                            const std::vector<double>& values) {
  if (t.precision == 53) return true;
  const std::uint64_t dropped_mask = (std::uint64_t{1} << (53 - t.precision)) - 1;
  const std::int64_t lowest_field = t.emin + 1023;
  const std::int64_t highest_field = t.emax + 1023;
  constexpr std::size_t kChunk = 256;
  for (std::size_t start = 0; start < values.size(); start += kChunk) {
    const std::size_t end = std::min(values.size(), start + kChunk);
    std::uint64_t dropped = 0;
    std::int64_t outside = 0;  // negative once some field lies outside [lowest, highest]
    for (std::size_t i = start; i < end; ++i) {
      const auto bits = std::bit_cast<std::uint64_t>(values[i]);
      const auto field = static_cast<std::int64_t>((bits >> 52) & 0x7ff);
      outside |= (field - lowest_field) | (highest_field - field);
      dropped |= bits & dropped_mask;
    }
    if (outside >= 0 && dropped == 0) continue;
    for (std::size_t i = start; i < end; ++i) {
      if (detail::round_double(t, values[i]) != values[i] && !std::isnan(values[i])) return false;
    }
  }
  return true;
}

// True when no value is an infinity or a NaN (exponent field all ones: field + 1 carries into
// bit 11), as an OR-reduction that vectorizes.
NORMCHECK_AVX2_CLONE bool all_finite(const double* values, std::int64_t n) {
  std::uint64_t carries = 0;
  for (std::int64_t i = 0; i < n; ++i)
    carries |= (((std::bit_cast<std::uint64_t>(values[i]) >> 52) & 0x7ff) + 1) >> 11;
  return carries == 0;
}

void validate(const NormProblem& p) {
  if (p.n < 1 || p.rows < 0) throw std::invalid_argument("oracle: need n >= 1 and rows >= 0");
  if (!(p.eps >= 0.0) || std::isinf(p.eps))
    throw std::invalid_argument("oracle: eps must be finite and >= 0");
  const auto total = static_cast<std::size_t>(p.rows * p.n);
  const auto n = static_cast<std::size_t>(p.n);
  if (p.x.size() != total) throw std::invalid_argument("oracle: x must hold rows*n values");
  if (!p.residual.empty() && p.residual.size() != total) {
    throw std::invalid_argument("oracle: residual must be empty or hold rows*n values");
  }
  if (!p.gamma.empty() && p.gamma.size() != n)
    throw std::invalid_argument("oracle: gamma must be empty or n");
  if (!p.beta.empty() && p.beta.size() != n)
    throw std::invalid_argument("oracle: beta must be empty or n");
  auto check = [](const std::vector<double>& values, Format format, const char* field) {
    if (!all_representable(traits(format), values)) {
      throw std::invalid_argument(std::string("oracle: ") + field +
                                  " holds a value not representable in " +
                                  std::string(traits(format).name));
    }
  };
  check(p.x, p.x_format, "x");
  check(p.residual, p.x_format, "residual");
  check(p.gamma, p.param_format, "gamma");
  check(p.beta, p.param_format, "beta");
}

// Per-row state reused across rows so that the steady state allocates nothing.
struct RowSolver {
  const NormProblem& problem;
  const OracleOptions& options;
  const FormatTraits& y_traits;
  bool has_gamma;
  bool has_beta;
  bool double_tier;  // the first tier's problem-level preconditions hold
  detail::ExactRowStats stats;
  detail::ExactComparator comparator;
  mpz_int deviation;
  mpz_int scratch;
  detail::RefinedGuess refined;
  std::vector<std::uint8_t> undecided;  // first tier's per-element verdicts, reused across rows

  double mean_f64(const detail::RowInput& row) {
    if (problem.op == Op::rmsnorm) return 0.0;
    // S and n below 2^53 are doubles, and IEEE division rounds S / n correctly; the scaling
    // by 2^-q is exact while the result stays normal (or zero). The search decides the rest
    // and every mean under force_exact, which the tests compare against this.
    if (!options.force_exact && stats.fits_int64 &&
        std::abs(stats.sum_small) <= (std::int64_t{1} << 53) &&
        stats.n <= (std::int64_t{1} << 53)) {
      const double mean =
          times_exact_pow2(static_cast<double>(stats.sum_small) / static_cast<double>(stats.n), -stats.q);
      if (mean == 0.0 ||
          (std::fabs(mean) >= std::numeric_limits<double>::min() && std::isfinite(mean)))
        return mean;
    }
    long exponent = 0;
    const double fraction = mpz_get_d_2exp(&exponent, stats.sum.backend().data());
    const auto guess = static_cast<double>(
        std::ldexp(static_cast<long double>(fraction), static_cast<int>(exponent) - stats.q) /
        static_cast<long double>(row.n));
    return detail::round_by_search(
        Format::f64, guess,
        [&](Dyadic m) { return comparator.mean_minus(stats.sum, stats.n, stats.q, m); }, false);
  }

  double rstd_f64() {
    // RN_f64(n / sqrt(V)) from the 128-bit reciprocal where Ziv's test decided it; 2^q scales
    // it exactly while both it and the result are normal (a subnormal rstd_unscaled has lost
    // bits to MPFR's conversion) and finite.
    constexpr double kMinNormal = std::numeric_limits<double>::min();
    if (!options.force_exact && std::fabs(stats.rstd_unscaled) >= kMinNormal) {
      const double rstd = times_exact_pow2(stats.rstd_unscaled, stats.q);
      if (std::fabs(rstd) >= kMinNormal && std::isfinite(rstd)) return rstd;
    }
    const auto guess =
        static_cast<double>(std::ldexp(stats.rsqrt_v, stats.q) * static_cast<long double>(stats.n));
    return detail::round_by_search(
        Format::f64, guess,
        [&](Dyadic m) { return comparator.rstd_minus(stats.denom_square, stats.n, stats.q, m); },
        false);
  }

  // y and y_exact of one element by exact comparison; guess steers the search.
  void exact_output(double gamma, double beta, double guess, double& y, double& y_exact) {
    auto side = [&](Dyadic m) {
      return comparator.y_minus(stats.denom_square, gamma, deviation, beta, m);
    };
    y = detail::round_by_search(problem.y_format, guess, side, false);
    if (problem.y_format == Format::f64) {
      y_exact = y;
      return;
    }
    y_exact = detail::round_by_search(Format::f64, guess, side, false);
    // RN_f64(y) may sit on a y_format midpoint and round the other way; the f64 neighbour
    // towards y is still within one f64 ulp of the exact value and rounds to y.
    if (!same_value_and_sign(round_to_format(problem.y_format, y_exact), y)) {
      y_exact = std::nextafter(y_exact, y > y_exact ? kInf : -kInf);
    }
  }

  // y and y_exact of element i by the long double tier, else the exact path; also every
  // special case (non-finite params, zero terms). The caller has computed the row's stats.
  void solve_element(const detail::RowInput& row, std::int64_t i, double* y, double* y_exact) {
    const std::int64_t n = row.n;
    const auto col = static_cast<std::size_t>(i);
    const double gamma = has_gamma ? problem.gamma[col] : 1.0;
    const double beta = has_beta ? problem.beta[col] : 0.0;
    long double d_hat;
    int d_sign;
    if (stats.fits_int64) {
      const std::int64_t d = stats.scaled[col] * n - stats.sum_small;
      d_hat = static_cast<long double>(d);  // exact: 64-bit significand
      d_sign = (d > 0) - (d < 0);
    } else {
      detail::exact_deviation(row, stats, i, deviation, scratch);
      d_hat = detail::to_long_double(deviation);
      d_sign = deviation.sign();
    }
    if (!std::isfinite(gamma) || !std::isfinite(beta)) {
      // IEEE on the exact math: only the sign of the finite, exact z matters.
      double term = 0.0;  // a finite gamma's term is finite: beta (inf or NaN) decides
      if (std::isnan(gamma)) term = kNaN;
      if (std::isinf(gamma)) term = d_sign == 0 ? kNaN : (d_sign > 0 ? gamma : -gamma);
      y[i] = y_exact[i] = has_beta ? beta + term : term;
      return;
    }
    if (d_sign == 0 || gamma == 0.0) {
      // The normalized term is a signed zero: the sign of gamma times the sign of z,
      // where z = x_i - mean is +0 for LayerNorm and keeps x_i's zero sign for RMSNorm.
      const double z = row.second ? row.first[i] + row.second[i] : row.first[i];
      const bool z_negative =
          d_sign == 0 ? (problem.op == Op::rmsnorm && std::signbit(z)) : d_sign < 0;
      const double term = (std::signbit(gamma) != z_negative) ? -0.0 : 0.0;
      y_exact[i] = has_beta ? beta + term : term;
      y[i] = detail::round_double(y_traits, y_exact[i]);
      return;
    }
    const long double t_hat = d_hat * static_cast<long double>(gamma) * stats.rsqrt_v;
    const long double y_hat = has_beta ? static_cast<long double>(beta) + t_hat : t_hat;
    const long double term_bound = stats.fits_int64 ? kTermBoundExact : kTermBoundTruncated;
    const long double err = term_bound * std::fabs(t_hat) + kSumBound * std::fabs(y_hat);
    double rounded = 0.0;
    if (!options.force_exact && detail::certify_rounding(y_traits, y_hat, err, rounded)) {
      y[i] = rounded;
      if (problem.y_format == Format::f64) {
        y_exact[i] = rounded;
        return;
      }
      // One f64 ulp: |RN_f64(y_hat) - y| <= ulp/2 + err, and err <= |y_hat| 2^-54 <= ulp/2.
      const auto near = static_cast<double>(y_hat);
      // near rounds to y: certify_rounding took its candidate as RN_format(near).
      if (err * 18014398509481984.0L * kSlack <= std::fabs(y_hat)) {
        y_exact[i] = near;
        return;
      }
    }
    if (stats.fits_int64) deviation = stats.scaled[col] * n - stats.sum_small;
    // y_hat is off by about 2^-10 |t/y| f64 values; where beta cancels much of the term, start
    // the search from a 256-bit y instead (a guess only: the comparisons decide).
    const double guess = std::fabs(t_hat) > 256.0L * std::fabs(y_hat)
                             ? refined.guess(stats.denom_square, deviation, gamma, beta)
                             : static_cast<double>(y_hat);
    exact_output(gamma, beta, guess, y[i], y_exact[i]);
  }

  void solve_row(const detail::RowInput& row, double* y, double* y_exact, double& mean,
                 double& rstd) {
    const std::int64_t n = row.n;
    const bool finite =
        all_finite(row.first, n) && (row.second == nullptr || all_finite(row.second, n));
    if (!finite) {
      detail::solve_non_finite_row(problem, row, has_gamma ? problem.gamma.data() : nullptr,
                                   has_beta ? problem.beta.data() : nullptr, y, y_exact, mean,
                                   rstd);
      return;
    }
    detail::compute_exact_stats(row, stats);
    refined.start_row();
    mean = mean_f64(row);
    if (stats.denom_square == 0) {  // var + eps = 0: 0/0 in every output
      rstd = kInf;
      std::fill(y, y + n, kNaN);
      std::fill(y_exact, y_exact + n, kNaN);
      return;
    }
    rstd = rstd_f64();
    if (options.statistics_only) return;
    if (double_tier && stats.double_tier_row) {
      // First tier on the whole row (branch-free), then the undecided few element by element.
      undecided.resize(static_cast<std::size_t>(n));
      const detail::DoubleTierRow tier_row{stats.scaled.data(),
                                           n,
                                           stats.sum_small,
                                           has_gamma ? problem.gamma.data() : nullptr,
                                           has_beta ? problem.beta.data() : nullptr,
                                           stats.rsqrt_hi,
                                           stats.rsqrt_lo};
      if (detail::double_tier_row(y_traits, tier_row, y, y_exact, undecided.data()) == 0) return;
      for (std::int64_t i = 0; i < n; ++i) {
        if (undecided[static_cast<std::size_t>(i)]) solve_element(row, i, y, y_exact);
      }
      return;
    }
    for (std::int64_t i = 0; i < n; ++i) solve_element(row, i, y, y_exact);
  }
};

// The first tier's problem-level preconditions (docs/oracle.md): outputs of precision <= 24
// and params in [2^-600, 2^600] (always true below f64). The row-level one is checked per row.
bool double_tier_allowed(const NormProblem& problem, const OracleOptions& options) {
  if (options.force_exact || !detail::double_tier_applies(traits(problem.y_format))) return false;
  if (problem.param_format != Format::f64) return true;
  return detail::params_in_double_tier_range(problem.gamma.data(), problem.gamma.size()) &&
         detail::params_in_double_tier_range(problem.beta.data(), problem.beta.size());
}

}  // namespace

void compute_oracle_into(const NormProblem& problem, const OracleOptions& options,
                         OracleResult& result) {
  validate(problem);
  const auto n = static_cast<std::size_t>(problem.n);
  const auto rows = static_cast<std::size_t>(problem.rows);
  // Every element is written below; resize keeps the caller's storage when it is big enough.
  // For the statistics alone, one row's worth: the rows' special-value paths write y.
  const std::size_t y_rows = options.statistics_only ? 1 : rows;
  result.y.resize(y_rows * n);
  result.y_exact.resize(y_rows * n);
  result.mean.resize(rows);
  result.rstd.resize(rows);
  const bool has_residual = problem.has_residual();
  result.residual_out.resize(has_residual ? rows * n : 0);
  if (has_residual) {
    for (std::size_t i = 0; i < rows * n; ++i) {
      result.residual_out[i] =
          round_sum_to_format(problem.x_format, problem.x[i], problem.residual[i]);
    }
  }
  RowSolver solver{problem,
                   options,
                   traits(problem.y_format),
                   !problem.gamma.empty(),
                   !problem.beta.empty(),
                   double_tier_allowed(problem, options),
                   {},
                   {},
                   {},
                   {},
                   {},
                   {}};
  for (std::size_t r = 0; r < rows; ++r) {
    detail::RowInput row;
    row.n = problem.n;
    row.eps = problem.eps;
    row.op = problem.op;
    row.significand_bits = traits(problem.x_format).precision;
    row.first = problem.x.data() + r * n;
    if (has_residual && problem.residual_sum == ResidualSum::exact) {
      row.second = problem.residual.data() + r * n;
    } else if (has_residual) {
      row.first = result.residual_out.data() + r * n;  // RN_x(x + residual), already computed
    }
    const std::size_t y_offset = options.statistics_only ? 0 : r * n;
    solver.solve_row(row, result.y.data() + y_offset, result.y_exact.data() + y_offset, result.mean[r],
                     result.rstd[r]);
  }
  if (options.statistics_only) {
    result.y.clear();
    result.y_exact.clear();
  }
}

OracleResult compute_oracle(const NormProblem& problem, const OracleOptions& options) {
  OracleResult result;
  compute_oracle_into(problem, options, result);
  return result;
}

}  // namespace normcheck::ref
