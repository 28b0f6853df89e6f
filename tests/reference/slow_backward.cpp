// The backward slow path. Per row, in rationals: dev_i = x_i - mean (RMSNorm: x_i),
// w = var + eps, g_i = gamma_i dy_i, and
//   dx_i = (g_i - mean(g) - dev_i mean(g dev) / w) / sqrt(w)
// (the textbook formula with xhat = dev / sqrt(w) multiplied out), so each dx_i is a rational
// c_i over sqrt(w): one MPFR rec_sqrt and a product, relative error below 2^(3-P).
// dgamma_j = sum_r dy_rj dev_rj / sqrt(w_r): MPFR terms and a correctly rounded mpfr_sum with
// the error bound 2^(3-P) sum |t| + ulp/2 (so cancellation raises the precision).
#include "tests/reference/slow_backward.hpp"

#include <mpfr.h>

#include <boost/multiprecision/gmp.hpp>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <vector>

#include "tests/reference/slow_reference.hpp"

namespace normcheck::ref::testing {
namespace {

using boost::multiprecision::mpq_rational;
using boost::multiprecision::mpz_int;
constexpr long kStartBits = 2400;
constexpr long kMaxBits = 1L << 18;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Mpfr {
  mpfr_t v;
  explicit Mpfr(long precision) { mpfr_init2(v, precision); }
  ~Mpfr() { mpfr_clear(v); }
  Mpfr(const Mpfr&) = delete;
  Mpfr& operator=(const Mpfr&) = delete;
};

int target_bits(Format f) {
  switch (f) {
    case Format::f16: return 12;
    case Format::bf16: return 9;
    case Format::f32: return 25;
    case Format::f64: break;
  }
  return 54;
}

bool is_square(const mpq_rational& q) {
  return mpz_perfect_square_p(numerator(q).backend().data()) && mpz_perfect_square_p(denominator(q).backend().data());
}

mpq_rational rational_sqrt(const mpq_rational& q) {
  mpz_int a, b;
  mpz_sqrt(a.backend().data(), numerator(q).backend().data());
  mpz_sqrt(b.backend().data(), denominator(q).backend().data());
  return mpq_rational(a, b);
}

// c / sqrt(w) in MPFR at the given precision (relative error below 2^(3-P)).
void over_sqrt(const mpq_rational& c, const mpq_rational& w, mpfr_t out) {
  const long p = mpfr_get_prec(out);
  Mpfr root(p);
  mpfr_set_q(root.v, w.backend().data(), MPFR_RNDN);
  mpfr_rec_sqrt(root.v, root.v, MPFR_RNDN);
  mpfr_set_q(out, c.backend().data(), MPFR_RNDN);
  mpfr_mul(out, out, root.v, MPFR_RNDN);
}

// RN(c / sqrt(w)); an exact zero is +0.
double round_over_sqrt(Format format, const mpq_rational& c, const mpq_rational& w, double& as_double) {
  if (c == 0) return as_double = 0.0;
  if (is_square(w)) {
    const mpq_rational exact = c / rational_sqrt(w);
    as_double = slow_round_rational(Format::f64, exact);
    return slow_round_rational(format, exact);
  }
  for (long p = kStartBits; p <= kMaxBits; p *= 2) {
    Mpfr v(p);
    over_sqrt(c, w, v.v);
    if (mpfr_can_round(v.v, p - 3, MPFR_RNDN, MPFR_RNDZ, target_bits(format))) {
      as_double = slow_round_mpfr(Format::f64, v.v);
      return slow_round_mpfr(format, v.v);
    }
  }
  throw std::runtime_error("slow_backward: dx undecided");
}

struct RowData {
  bool zero_w = false;
  mpq_rational w;
  std::vector<mpq_rational> dev;
};

}  // namespace

BackwardOracleResult slow_backward_oracle(const BackwardProblem& p) {
  const auto n = static_cast<std::size_t>(p.n);
  const auto rows = static_cast<std::size_t>(p.rows);
  for (double v : p.x) if (!std::isfinite(v)) throw std::invalid_argument("slow_backward: finite x only");
  for (double v : p.dy) if (!std::isfinite(v)) throw std::invalid_argument("slow_backward: finite dy only");
  for (double v : p.gamma) if (!std::isfinite(v)) throw std::invalid_argument("slow_backward: finite gamma only");
  BackwardOracleResult out;
  out.dx.assign(rows * n, kNaN);
  out.dx_exact.assign(rows * n, kNaN);
  out.dgamma.assign(n, kNaN);
  out.dgamma_exact.assign(n, kNaN);
  out.dbeta.assign(n, kNaN);
  out.dbeta_exact.assign(n, kNaN);
  std::vector<RowData> data(rows);
  bool any_zero_w = false;
  for (std::size_t r = 0; r < rows; ++r) {
    RowData& d = data[r];
    mpq_rational mean = 0;
    if (p.op == Op::layernorm) {
      for (std::size_t i = 0; i < n; ++i) mean += mpq_rational(p.x[r * n + i]);
      mean /= static_cast<long>(n);
    }
    d.dev.resize(n);
    mpq_rational var = 0;
    for (std::size_t i = 0; i < n; ++i) {
      d.dev[i] = mpq_rational(p.x[r * n + i]) - mean;
      var += d.dev[i] * d.dev[i];
    }
    d.w = var / static_cast<long>(n) + mpq_rational(p.eps);
    d.zero_w = d.w == 0;
    if (d.zero_w) {
      any_zero_w = true;
      continue;
    }
    std::vector<mpq_rational> g(n);
    mpq_rational mean_g = 0, mean_gd = 0;
    for (std::size_t i = 0; i < n; ++i) {
      g[i] = mpq_rational(p.dy[r * n + i]);
      if (!p.gamma.empty()) g[i] *= mpq_rational(p.gamma[i]);
      mean_g += g[i];
      mean_gd += g[i] * d.dev[i];
    }
    mean_g /= static_cast<long>(n);
    mean_gd /= static_cast<long>(n);
    if (p.op == Op::rmsnorm) mean_g = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const mpq_rational c = g[i] - mean_g - d.dev[i] * mean_gd / d.w;
      out.dx[r * n + i] = round_over_sqrt(p.x_format, c, d.w, out.dx_exact[r * n + i]);
    }
  }
  for (std::size_t j = 0; j < n; ++j) {
    mpq_rational beta = 0;
    bool all_negative_zero = rows > 0;
    for (std::size_t r = 0; r < rows; ++r) {
      const double dy = p.dy[r * n + j];
      beta += mpq_rational(dy);
      all_negative_zero = all_negative_zero && dy == 0.0 && std::signbit(dy);
    }
    out.dbeta[j] = beta == 0 ? (all_negative_zero ? -0.0 : 0.0) : slow_round_rational(p.param_format, beta);
    out.dbeta_exact[j] = beta == 0 ? out.dbeta[j] : slow_round_rational(Format::f64, beta);
    if (any_zero_w) continue;  // xhat = 0 * inf: every column NaN
    // Terms dy * dev / sqrt(w); the sign of an exact zero sum by IEEE (-0 only if all are -0).
    bool all_square = true, any_nonzero = false;
    all_negative_zero = rows > 0;
    for (std::size_t r = 0; r < rows; ++r) {
      const double dy = p.dy[r * n + j];
      const mpq_rational& dev = data[r].dev[j];
      const bool dev_negative = dev != 0 ? dev < 0 : (p.op == Op::rmsnorm && std::signbit(p.x[r * n + j]));
      const bool nonzero = dy != 0.0 && dev != 0;
      any_nonzero = any_nonzero || nonzero;
      all_negative_zero = all_negative_zero && !nonzero && (std::signbit(dy) != dev_negative);
      if (nonzero) all_square = all_square && is_square(data[r].w);
    }
    if (!any_nonzero) {
      out.dgamma[j] = out.dgamma_exact[j] = all_negative_zero ? -0.0 : 0.0;
      continue;
    }
    if (all_square) {
      mpq_rational total = 0;
      for (std::size_t r = 0; r < rows; ++r) {
        total += mpq_rational(p.dy[r * n + j]) * data[r].dev[j] / rational_sqrt(data[r].w);
      }
      out.dgamma[j] = total == 0 ? 0.0 : slow_round_rational(p.param_format, total);
      out.dgamma_exact[j] = total == 0 ? 0.0 : slow_round_rational(Format::f64, total);
      continue;
    }
    bool decided = false;
    for (long prec = kStartBits; prec <= kMaxBits && !decided; prec *= 2) {
      std::vector<std::unique_ptr<Mpfr>> terms;
      std::vector<mpfr_ptr> pointers;
      Mpfr magnitude(prec), sum(prec);
      mpfr_set_zero(magnitude.v, 1);
      for (std::size_t r = 0; r < rows; ++r) {
        terms.push_back(std::make_unique<Mpfr>(prec));
        over_sqrt(mpq_rational(p.dy[r * n + j]) * data[r].dev[j], data[r].w, terms.back()->v);
        pointers.push_back(terms.back()->v);
        Mpfr a(prec);
        mpfr_abs(a.v, terms.back()->v, MPFR_RNDN);
        mpfr_add(magnitude.v, magnitude.v, a.v, MPFR_RNDU);
      }
      mpfr_sum(sum.v, pointers.data(), pointers.size(), MPFR_RNDN);
      if (!mpfr_regular_p(sum.v) || mpfr_zero_p(magnitude.v)) continue;
      // |error| <= 2^(3-P) sum|t| (terms) + 2^(EXP(sum)-P) (the sum) < 2^(EXP(sum) - certain).
      const long certain = static_cast<long>(mpfr_get_exp(sum.v)) - (static_cast<long>(mpfr_get_exp(magnitude.v)) + 4 - prec);
      if (certain > target_bits(p.param_format) + 2 &&
          mpfr_can_round(sum.v, certain, MPFR_RNDN, MPFR_RNDZ, target_bits(p.param_format))) {
        out.dgamma[j] = slow_round_mpfr(p.param_format, sum.v);
        out.dgamma_exact[j] = slow_round_mpfr(Format::f64, sum.v);
        decided = true;
      }
    }
    if (!decided) throw std::runtime_error("slow_backward: dgamma undecided");
  }
  return out;
}

}  // namespace normcheck::ref::testing
