// The slow path: mpq mean / variance, MPFR normalization from 2400 bits up until the rounding
// is decided (Ziv), MPFR subnormalize.
#include "tests/reference/slow_reference.hpp"

#include <mpfr.h>

#include <algorithm>
#include <boost/multiprecision/gmp.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace normcheck::ref::testing {
namespace {

using boost::multiprecision::mpq_rational;
// Exact for any sum of two doubles, but not enough for every output: beta + gamma * z/sqrt(w)
// can lie within 2^-3000 (relative) of a midpoint without being on it, e.g. RMSNorm of
// x = 2^1021 with eps = 2^-1074 is 1 - 2^-3118. So each output starts here and doubles the
// precision until mpfr_can_round decides; values computed without any rounding round directly.
constexpr mpfr_prec_t kPrecision = 2400;
constexpr mpfr_prec_t kMaxPrecision = mpfr_prec_t{1} << 18;
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

// An approximation of a real at some precision: exact (no operation rounded), or correct to
// within 2^(EXP(value) - certain_bits) (MPFR's convention for mpfr_can_round).
struct Approximation {
  bool exact = false;
  mpfr_exp_t certain_bits = 0;
};

// RN_format(real), where evaluate(precision, out) sets out to an approximation of the real at
// that precision. Ziv's strategy: more precision until every real within the error bound
// rounds the same way. Rounding to nearest at p bits (or fewer, for subnormals) is decided when
// truncation at p + 1 bits is: every midpoint and the overflow threshold have p + 1 bits.
// That never happens for a real that is itself a (p + 1)-bit number, so callers evaluate those
// exactly (rationals with exact MPFR steps); an inexact approximation must be of an irrational
// or non-dyadic real, which the loop decides once the precision outgrows its closeness.
template <class Evaluate>
double round_real(Format format, Evaluate&& evaluate) {
  const int bits = shape(format).precision + 1;
  for (mpfr_prec_t precision = kPrecision; precision <= kMaxPrecision; precision *= 2) {
    Mpfr v(precision);
    const Approximation a = evaluate(precision, v.v);
    if (a.exact) return round_mpfr(v.v, format);
    if (mpfr_regular_p(v.v) && a.certain_bits > bits &&
        mpfr_can_round(v.v, a.certain_bits, MPFR_RNDN, MPFR_RNDZ, bits)) {
      return round_mpfr(v.v, format);
    }
  }
  throw std::runtime_error("slow_oracle: rounding undecided at 2^18 bits");
}

double round_rational(const mpq_rational& q, Format format) {
  return round_real(format, [&](mpfr_prec_t, mpfr_t out) {
    const int inexact = mpfr_set_q(out, q.backend().data(), MPFR_RNDN);
    return Approximation{inexact == 0, mpfr_get_prec(out) - 1};
  });
}

// A row whose z holds an infinity or a NaN, evaluated as the formula reads in MPFR, whose
// special values and zero signs follow IEEE 754 (inf - inf and 0 * inf are NaN): the mean,
// the variance (or mean square), rstd = 1/sqrt(var + eps) and each y. No output is inexact
// here (each is a special value, a zero, or beta), so 64 bits suffice.
void slow_non_finite_row(const NormProblem& p, const std::vector<double>& z_values, std::size_t r,
                         OracleResult& out) {
  const auto n = static_cast<std::size_t>(p.n);
  Mpfr mean(64), var(64), term(64), w(64), rstd(64);
  mpfr_set_zero(mean.v, 1);
  if (p.op == Op::layernorm) {
    for (const double v : z_values) mpfr_add_d(mean.v, mean.v, v, MPFR_RNDN);
    mpfr_div_si(mean.v, mean.v, p.n, MPFR_RNDN);
  }
  mpfr_set_zero(var.v, 1);
  for (const double v : z_values) {
    mpfr_set_d(term.v, v, MPFR_RNDN);
    mpfr_sub(term.v, term.v, mean.v, MPFR_RNDN);
    mpfr_sqr(term.v, term.v, MPFR_RNDN);
    mpfr_add(var.v, var.v, term.v, MPFR_RNDN);
  }
  mpfr_div_si(var.v, var.v, p.n, MPFR_RNDN);
  mpfr_add_d(w.v, var.v, p.eps, MPFR_RNDN);
  mpfr_rec_sqrt(rstd.v, w.v, MPFR_RNDN);
  out.mean[r] = mpfr_get_d(mean.v, MPFR_RNDN);
  out.rstd[r] = mpfr_get_d(rstd.v, MPFR_RNDN);
  for (std::size_t i = 0; i < n; ++i) {
    mpfr_set_d(term.v, z_values[i], MPFR_RNDN);
    mpfr_sub(term.v, term.v, mean.v, MPFR_RNDN);
    mpfr_mul(term.v, term.v, rstd.v, MPFR_RNDN);
    if (!p.gamma.empty()) mpfr_mul_d(term.v, term.v, p.gamma[i], MPFR_RNDN);
    if (!p.beta.empty()) mpfr_add_d(term.v, term.v, p.beta[i], MPFR_RNDN);
    out.y_exact[r * n + i] = mpfr_get_d(term.v, MPFR_RNDN);
    out.y[r * n + i] = mpfr_nan_p(term.v) ? kNaN : round_mpfr(term.v, p.y_format);
  }
}

}  // namespace

double slow_round_mpfr(Format format, const mpfr_t value) { return round_mpfr(value, format); }

double slow_round_rational(Format format, const mpq_rational& q) { return round_rational(q, format); }

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
          z_double[i] = p.x[k] + p.residual[k];  // an infinity or NaN, as the exact sum is
          continue;
        }
        z[i] = mpq_rational(p.x[k]) + mpq_rational(p.residual[k]);
        z_double[i] = p.x[k] + p.residual[k];  // only its zero sign is used
      } else {
        const double zd = has_residual ? out.residual_out[k] : p.x[k];
        if (!std::isfinite(zd)) {
          finite = false;
          z_double[i] = zd;
          continue;
        }
        z[i] = mpq_rational(zd);
        z_double[i] = zd;
      }
    }
    if (!finite) {
      // The finite elements' doubles keep only their sign and class: where such a sum
      // overflowed, its exact value is finite, and so it is in this evaluation.
      for (std::size_t i = 0; i < n; ++i) {
        if (std::isinf(z_double[i]) && z[i] != 0) z_double[i] = std::copysign(1.0, z_double[i]);
      }
      slow_non_finite_row(p, z_double, r, out);
      continue;
    }
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
    // 1/sqrt(w) is rational exactly when w's reduced numerator and denominator are squares
    // (w = 1/(25 * 2^74) gives 5 * 2^37, a double, though no step computing it is exact).
    const auto& w_top = boost::multiprecision::numerator(w);
    const auto& w_bottom = boost::multiprecision::denominator(w);
    if (mpz_perfect_square_p(w_top.backend().data()) != 0 && mpz_perfect_square_p(w_bottom.backend().data()) != 0) {
      out.rstd[r] = round_rational(
          mpq_rational(boost::multiprecision::sqrt(w_bottom), boost::multiprecision::sqrt(w_top)), Format::f64);
    } else {
      // Irrational, so never on a midpoint: two roundings (w, rec_sqrt), each 2^-P relative.
      out.rstd[r] = round_real(Format::f64, [&](mpfr_prec_t precision, mpfr_t result) {
        Mpfr exact_w(precision);
        int inexact = mpfr_set_q(exact_w.v, w.backend().data(), MPFR_RNDN);
        inexact |= mpfr_rec_sqrt(result, exact_w.v, MPFR_RNDN);
        return Approximation{inexact == 0, precision - 2};
      });
    }
    for (std::size_t i = 0; i < n; ++i) {
      const double gamma = p.gamma.empty() ? 1.0 : p.gamma[i];
      const double beta = p.beta.empty() ? 0.0 : p.beta[i];
      const mpq_rational centered = p.op == Op::rmsnorm ? z[i] : z[i] - mean;
      // A rational z/sqrt(w) (e.g. 1/3 / sqrt(1/9)) makes y rational, possibly a midpoint exactly,
      // which no precision could decide after an inexact step: evaluate it exactly instead.
      // (Zero terms and non-finite params take the MPFR path, which keeps zero signs and IEEE.)
      if (centered != 0 && gamma != 0.0 && std::isfinite(gamma) && std::isfinite(beta)) {
        const mpq_rational square = centered * centered / w;
        const auto& top = boost::multiprecision::numerator(square);
        const auto& bottom = boost::multiprecision::denominator(square);
        if (mpz_perfect_square_p(top.backend().data()) != 0 && mpz_perfect_square_p(bottom.backend().data()) != 0) {
          mpq_rational term(boost::multiprecision::sqrt(top), boost::multiprecision::sqrt(bottom));
          if (centered < 0) term = -term;
          const mpq_rational y = term * mpq_rational(gamma) + mpq_rational(beta);
          out.y[r * n + i] = round_rational(y, p.y_format);
          out.y_exact[r * n + i] = round_rational(y, Format::f64);
          continue;
        }
      }
      // Otherwise y is irrational (or a zero, inf or NaN that every precision gets), never on a
      // midpoint, so the Ziv loop ends. t = gamma * (z - mean) / sqrt(w) takes five roundings of at most 2^-P relative each, and
      // y = t + beta one more: |error| < 8 * 2^-P * max(|t|, |y|) (P >= 2400).
      auto evaluate = [&](mpfr_prec_t precision, mpfr_t y) {
        Mpfr sqrt_w(precision);
        int inexact = mpfr_set_q(sqrt_w.v, w.backend().data(), MPFR_RNDN);
        inexact |= mpfr_sqrt(sqrt_w.v, sqrt_w.v, MPFR_RNDN);
        inexact |= mpfr_set_q(y, centered.backend().data(), MPFR_RNDN);
        if (p.op == Op::rmsnorm && z_double[i] == 0.0) mpfr_set_d(y, z_double[i], MPFR_RNDN);  // keeps -0
        inexact |= mpfr_div(y, y, sqrt_w.v, MPFR_RNDN);
        if (!p.gamma.empty()) inexact |= mpfr_mul_d(y, y, p.gamma[i], MPFR_RNDN);
        if (mpfr_zero_p(y)) inexact = 0;  // z = mean or gamma = 0: exactly a signed zero term
        const mpfr_exp_t term_exponent = mpfr_regular_p(y) ? mpfr_get_exp(y) : mpfr_get_emin();
        if (!p.beta.empty()) inexact |= mpfr_add_d(y, y, p.beta[i], MPFR_RNDN);
        // inf and NaN (from params) depend only on the term's sign, which every precision gets.
        if (mpfr_inf_p(y) || mpfr_nan_p(y)) return Approximation{true, 0};
        if (!mpfr_regular_p(y)) return Approximation{inexact == 0, 0};
        const mpfr_exp_t lost_to_cancellation = std::max<mpfr_exp_t>(0, term_exponent - mpfr_get_exp(y));
        return Approximation{inexact == 0, precision - 3 - lost_to_cancellation};
      };
      out.y[r * n + i] = round_real(p.y_format, evaluate);
      out.y_exact[r * n + i] = round_real(Format::f64, evaluate);
    }
  }
  return out;
}

}  // namespace normcheck::ref::testing
