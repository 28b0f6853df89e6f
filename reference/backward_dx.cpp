// dx_i = 2^q (V (n g_i - sum g) - D_i P) / V^(3/2), P = sum_j g_j D_j (RMSNorm: no sum g):
// the fast double tier and its exact fallback (docs/oracle.md, "The backward pass").
#include "reference/backward_dx.hpp"

#include <mpfr.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "reference/certified_search.hpp"
#include "reference/certify_double.hpp"
#include "reference/two_sum.hpp"

namespace normcheck::ref::detail {
namespace {

constexpr double kUnit = 0x1p-53;
// The tier keeps every intermediate normal: |gamma|, |dy| in [2^-150, 2^150] (or 0), so the
// exact g is 0 or within [2^-300, 2^300] and its double rounding relative; with |D| < 2^53 and
// 1 <= V < 2^128 (ExactRowStats::double_tier_row) products and sums stay within 2^+-500.
constexpr double kMinFactor = 0x1p-150;
constexpr double kMaxFactor = 0x1p150;
// Absolute slack for the few results that may still be subnormal after cancellation (each such
// rounding is exact or below 2^-1075); far below any half gap the test compares with.
constexpr double kAbsoluteSlack = 0x1p-1000;

// The fast tier over the whole row: approx and err per element, or false when the row is
// outside the tier's ranges. The sums sum g and P = sum g D are compensated (Sum2 of Ogita,
// Rump and Oishi: |res - s| <= u|s| + gamma_{n-1}^2 sum|p|), so no error grows with n; the
// bound (docs/oracle.md, "dx: the double tier and its bound") is
//   err = 1.01 u rstd (2|g_i| + 5 G1/n + 10 |D_i| H1 rs^2/n + 5|T_i|),
// G1 = sum |g|, H1 = sum |g_j D_j|, T_i = g_i - mean(g) - D_i P rs^2/n, approx = rstd T_i,
// rs = RN(RN_128(1/sqrt(V))), rstd = fl(n rs) 2^q.
bool fast_row(const BackwardRow& row, DxScratch& s) {
  const ExactRowStats& st = *row.stats;
  const std::int64_t n = st.n;
  // rstd T must neither overflow nor underflow (a nonzero T is at least about 2^-560: every
  // operand is a multiple of a quantum above that, |g| >= 2^-300 and rs^2 >= 2^-128), and n^2 u
  // stays below 2^-13 (the bound's O(u^2) terms).
  if (!st.double_tier_row || n >= (std::int64_t{1} << 20) || st.q < -400 || st.q > 400) return false;
  const double nd = static_cast<double>(n);
  const double rs = st.rsqrt_hi;
  const double rstd = nd * rs * pow2(st.q);
  if (!(rstd >= 0x1p-400 && rstd <= 0x1p400)) return false;
  const auto count = static_cast<std::size_t>(n);
  s.g.resize(count);
  s.deviation.resize(count);
  s.approx.resize(count);
  s.err.resize(count);
  // D_i = x_i (n 2^q) - S in doubles: n X_i and S are integers below 2^53 on the tier's rows
  // (n max|X| + |S| < 2^53), so both operations are exact.
  const double scale_x = nd * pow2(st.q);
  const double sum_x = static_cast<double>(st.sum_small);
  const double* x = row.input.first;
  // Four interleaved Sum2 lanes (the TwoSum chain is latency-bound): the proof of Sum2's bound
  // carries over unchanged, since every TwoSum keeps sum p = sum s + sum q exactly, there are
  // n - 1 of them (lanes combined last), and each |q| <= u sum |p|.
  constexpr std::size_t kLanes = 4;
  double sum_g[kLanes] = {}, sum_g_err[kLanes] = {}, dot[kLanes] = {}, dot_err[kLanes] = {};
  double abs_g[kLanes] = {}, abs_dot[kLanes] = {};
  double min_factor = std::numeric_limits<double>::infinity(), max_factor = 0.0;
  auto step = [&](std::size_t i, std::size_t l) {
    const double gamma = row.gamma ? row.gamma[i] : 1.0;
    const double a_dy = std::fabs(row.dy[i]), a_gamma = std::fabs(gamma);
    min_factor = std::min(min_factor, std::min(a_dy == 0.0 ? 1.0 : a_dy, a_gamma == 0.0 ? 1.0 : a_gamma));
    max_factor = std::max(max_factor, std::max(a_dy, a_gamma));
    const double g = gamma * row.dy[i];
    const double d = x[i] * scale_x - sum_x;
    const double gd = g * d;
    s.g[i] = g;
    s.deviation[i] = d;
    double e;
    two_sum(sum_g[l], g, sum_g[l], e);
    sum_g_err[l] += e;
    two_sum(dot[l], gd, dot[l], e);
    dot_err[l] += e;
    abs_g[l] += std::fabs(g);
    abs_dot[l] += std::fabs(gd);
  };
  const std::size_t whole = count - count % kLanes;
  for (std::size_t i = 0; i < whole; i += kLanes) {
    for (std::size_t l = 0; l < kLanes; ++l) step(i + l, l);
  }
  for (std::size_t i = whole; i < count; ++i) step(i, 0);
  // Out of range, the products above may have underflowed: the results are discarded.
  if (!(min_factor >= kMinFactor && max_factor <= kMaxFactor)) return false;
  auto combine = [](double* sums, double* errs) {
    double total = sums[0], err = errs[0];
    for (std::size_t l = 1; l < kLanes; ++l) {
      double e;
      two_sum(total, sums[l], total, e);
      err += e + errs[l];
    }
    return total + err;
  };
  const double total_g = combine(sum_g, sum_g_err);
  const double total_dot = combine(dot, dot_err);
  const double rs2 = rs * rs;
  const double mean_g = row.input.op == Op::layernorm ? total_g / nd : 0.0;
  const double k = total_dot * rs2 / nd;
  const double total_abs_g = (abs_g[0] + abs_g[1]) + (abs_g[2] + abs_g[3]);
  const double total_abs_dot = (abs_dot[0] + abs_dot[1]) + (abs_dot[2] + abs_dot[3]);
  const double bound_g = 5.0 * total_abs_g / nd;
  const double bound_h = 10.0 * total_abs_dot * rs2 / nd;
  const double scale = 1.01 * kUnit * rstd;
  for (std::size_t i = 0; i < count; ++i) {
    const double d = s.deviation[i];
    const double t = (s.g[i] - mean_g) - d * k;
    s.approx[i] = rstd * t;
    s.err[i] = scale * (2.0 * std::fabs(s.g[i]) + bound_g + std::fabs(d) * bound_h + 5.0 * std::fabs(t)) +
               kAbsoluteSlack;
  }
  return true;
}

// The row's exact integers: G_i = g_i 2^-base, sum G, P = sum G_j D_j, V^3; returns base.
int exact_row(const BackwardRow& row, DxScratch& s) {
  const ExactRowStats& st = *row.stats;
  const std::int64_t n = st.n;
  const auto count = static_cast<std::size_t>(n);
  s.scaled_g.resize(count);
  s.exact_deviation.resize(count);
  int base = std::numeric_limits<int>::max();
  for (std::size_t i = 0; i < count; ++i) {
    const Dyadic dy = to_dyadic(row.dy[i]);
    const Dyadic gamma = row.gamma ? to_dyadic(row.gamma[i]) : Dyadic{1, 0};
    if (dy.mantissa != 0 && gamma.mantissa != 0) base = std::min(base, dy.exponent + gamma.exponent);
  }
  if (base == std::numeric_limits<int>::max()) base = 0;
  s.sum_g = 0;
  s.dot = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const Dyadic dy = to_dyadic(row.dy[i]);
    const Dyadic gamma = row.gamma ? to_dyadic(row.gamma[i]) : Dyadic{1, 0};
    mpz_int& g = s.scaled_g[i];
    g = dy.mantissa;
    g *= gamma.mantissa;
    if (g != 0) g <<= static_cast<unsigned>(dy.exponent + gamma.exponent - base);
    exact_deviation(row.input, st, static_cast<std::int64_t>(i), s.exact_deviation[i], s.scratch);
    if (row.input.op == Op::layernorm) s.sum_g += g;
    mpz_addmul(s.dot.backend().data(), g.backend().data(), s.exact_deviation[i].backend().data());
  }
  s.v_cubed = st.denom_square * st.denom_square;
  s.v_cubed *= st.denom_square;
  return base;
}

// N_i = n V G_i - V sum G - D_i P.
void exact_numerator(const ExactRowStats& st, DxScratch& s, std::size_t i) {
  s.numerator = s.scaled_g[i] * st.n;
  s.numerator -= s.sum_g;
  s.numerator *= st.denom_square;
  s.tmp = s.exact_deviation[i] * s.dot;
  s.numerator -= s.tmp;
}

// RN_f64(N 2^a / V^(3/2)) to within one f64 ulp: 128-bit MPFR (a guess for the search, and
// dx_exact).
double approximate(const mpz_int& numerator, long a, const mpz_int& v) {
  mpfr_t value, root;
  mpfr_init2(value, 128);
  mpfr_init2(root, 128);
  mpfr_set_z(root, v.backend().data(), MPFR_RNDN);
  mpfr_rec_sqrt(root, root, MPFR_RNDN);
  mpfr_set_z(value, numerator.backend().data(), MPFR_RNDN);
  mpfr_mul(value, value, root, MPFR_RNDN);
  mpfr_mul(value, value, root, MPFR_RNDN);
  mpfr_mul(value, value, root, MPFR_RNDN);
  mpfr_mul_2si(value, value, a, MPFR_RNDN);
  const double result = mpfr_get_d(value, MPFR_RNDN);
  mpfr_clear(value);
  mpfr_clear(root);
  return result;
}

}  // namespace

std::int64_t backward_dx_row(const BackwardRow& row, Format format, bool force_exact, DxScratch& s, double* dx,
                             double* dx_exact) {
  const ExactRowStats& st = *row.stats;
  const auto count = static_cast<std::size_t>(st.n);
  const bool fast = !force_exact && fast_row(row, s);
  bool exact_ready = false;
  int base = 0;
  std::int64_t exact_count = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (fast && certify_double(format, s.approx[i], s.err[i], dx[i])) {
      dx_exact[i] = s.approx[i];
      continue;
    }
    if (!exact_ready) {
      base = exact_row(row, s);
      exact_ready = true;
    }
    ++exact_count;
    exact_numerator(st, s, i);
    const long a = static_cast<long>(st.q) + base;
    dx_exact[i] = approximate(s.numerator, a, st.denom_square);
    // An exact zero dx is +0 (as an exact zero from cancellation is in the forward pass).
    dx[i] = round_by_search(
        format, dx_exact[i],
        [&](Dyadic m) { return s.comparator.over_sqrt_minus(s.numerator, a, s.v_cubed, m); }, false);
  }
  return exact_count;
}

}  // namespace normcheck::ref::detail
