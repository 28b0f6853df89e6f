// The slow path: mpq mean / variance, MPFR 2400-bit normalization, MPFR subnormalize.
#include "tests/reference/slow_reference.hpp"

#include <mpfr.h>

#include <boost/multiprecision/gmp.hpp>
#include <cmath>
#include <limits>

namespace normcheck::ref::testing {
namespace {

using boost::multiprecision::mpq_rational;
constexpr mpfr_prec_t kPrecision = 2400;  // exact for any sum of two doubles
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Mpfr {
  mpfr_t v;
  explicit Mpfr(mpfr_prec_t precision = kPrecision) { mpfr_init2(v, precision); }
  ~Mpfr() { mpfr_clear(v); }
  Mpfr(const Mpfr&) = delete;
  Mpfr& operator=(const Mpfr&) = delete;
};

struct FormatShape {
  int precision, emin, emax;
};
FormatShape shape(Format f) {
  switch (f) {
    case Format::f16: return {11, -14, 15};
    case Format::bf16: return {8, -126, 127};
    case Format::f32: return {24, -126, 127};
    case Format::f64: break;
  }
  return {53, -1022, 1023};
}

// RN to the format with subnormals and overflow, the CORE-MATH way.
double round_mpfr(const mpfr_t value, Format format) {
  const FormatShape s = shape(format);
  Mpfr r(s.precision);
  const mpfr_exp_t old_emin = mpfr_get_emin();
  const mpfr_exp_t old_emax = mpfr_get_emax();
  int inexact = mpfr_set(r.v, value, MPFR_RNDN);
  mpfr_set_emin(s.emin - s.precision + 2);  // MPFR exponents are one more than IEEE's
  mpfr_set_emax(s.emax + 1);
  inexact = mpfr_check_range(r.v, inexact, MPFR_RNDN);
  mpfr_subnormalize(r.v, inexact, MPFR_RNDN);
  const double result = mpfr_get_d(r.v, MPFR_RNDN);  // exact
  mpfr_set_emin(old_emin);
  mpfr_set_emax(old_emax);
  return result;
}

double round_rational(const mpq_rational& q, Format format) {
  Mpfr v;
  mpfr_set_q(v.v, q.backend().data(), MPFR_RNDN);
  return round_mpfr(v.v, format);
}

}  // namespace

double slow_round(Format format, double value) {
  if (std::isnan(value)) return value;
  Mpfr v(64);
  mpfr_set_d(v.v, value, MPFR_RNDN);
  return round_mpfr(v.v, format);
}

OracleResult slow_oracle(const NormProblem& p) {
  const auto n = static_cast<std::size_t>(p.n);
  const auto rows = static_cast<std::size_t>(p.rows);
  OracleResult out;
  out.y.assign(rows * n, kNaN);
  out.y_exact.assign(rows * n, kNaN);
  out.mean.assign(rows, kNaN);
  out.rstd.assign(rows, kNaN);
  const bool has_residual = p.has_residual();
  for (std::size_t i = 0; has_residual && i < rows * n; ++i) {
    Mpfr sum;
    mpfr_set_d(sum.v, p.x[i], MPFR_RNDN);
    mpfr_add_d(sum.v, sum.v, p.residual[i], MPFR_RNDN);  // exact at 2400 bits
    out.residual_out.push_back(round_mpfr(sum.v, p.x_format));
  }
  for (std::size_t r = 0; r < rows; ++r) {
    // z as doubles when finite (for zero signs) and as exact rationals.
    std::vector<double> z_double(n);
    std::vector<mpq_rational> z(n);
    bool finite = true;
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t k = r * n + i;
      if (has_residual && p.residual_sum == ResidualSum::exact) {
        if (!std::isfinite(p.x[k]) || !std::isfinite(p.residual[k])) {
          finite = false;
          continue;
        }
        z[i] = mpq_rational(p.x[k]) + mpq_rational(p.residual[k]);
        z_double[i] = p.x[k] + p.residual[k];  // only its zero sign is used
      } else {
        const double zd = has_residual ? out.residual_out[k] : p.x[k];
        if (!std::isfinite(zd)) {
          finite = false;
          continue;
        }
        z[i] = mpq_rational(zd);
        z_double[i] = zd;
      }
    }
    if (!finite) continue;
    mpq_rational mean = 0;
    if (p.op == Op::layernorm) {
      for (const auto& v : z) mean += v;
      mean /= p.n;
    }
    mpq_rational var = 0;
    for (const auto& v : z) var += (v - mean) * (v - mean);
    var /= p.n;
    const mpq_rational w = var + mpq_rational(p.eps);
    out.mean[r] = round_rational(mean, Format::f64);
    if (w == 0) {
      out.rstd[r] = std::numeric_limits<double>::infinity();
      continue;
    }
    Mpfr sqrt_w;
    mpfr_set_q(sqrt_w.v, w.backend().data(), MPFR_RNDN);
    Mpfr rstd;
    mpfr_rec_sqrt(rstd.v, sqrt_w.v, MPFR_RNDN);
    out.rstd[r] = round_mpfr(rstd.v, Format::f64);
    mpfr_sqrt(sqrt_w.v, sqrt_w.v, MPFR_RNDN);
    for (std::size_t i = 0; i < n; ++i) {
      Mpfr y;
      if (p.op == Op::rmsnorm) {
        mpfr_set_q(y.v, z[i].backend().data(), MPFR_RNDN);
        if (z_double[i] == 0.0) mpfr_set_d(y.v, z_double[i], MPFR_RNDN);  // keeps -0
      } else {
        const mpq_rational centered = z[i] - mean;
        mpfr_set_q(y.v, centered.backend().data(), MPFR_RNDN);
      }
      mpfr_div(y.v, y.v, sqrt_w.v, MPFR_RNDN);
      if (!p.gamma.empty()) mpfr_mul_d(y.v, y.v, p.gamma[i], MPFR_RNDN);
      if (!p.beta.empty()) mpfr_add_d(y.v, y.v, p.beta[i], MPFR_RNDN);
      out.y[r * n + i] = round_mpfr(y.v, p.y_format);
      out.y_exact[r * n + i] = round_mpfr(y.v, Format::f64);
    }
  }
  return out;
}

}  // namespace normcheck::ref::testing
