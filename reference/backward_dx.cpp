// dx_i = 2^q (V (n g_i - sum g) - D_i P) / V^(3/2), P = sum_j g_j D_j (RMSNorm: no sum g):
// the fast double tier and its exact fallback (docs/oracle.md, "The backward pass").
#include "reference/backward_dx.hpp"

#include <mpfr.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <optional>

#include "reference/backward_dx_tier.hpp"
#include "reference/certified_search.hpp"

namespace normcheck::ref::detail {
namespace {

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
// dx_exact). 1 / sqrt(V) is the row's: computed once, for every undecided element of it.
class Approximation {
 public:
  explicit Approximation(const mpz_int& v) {
    mpfr_init2(value_, 128);
    mpfr_init2(root_, 128);
    mpfr_init2(rounded_, 53);
    mpfr_set_z(root_, v.backend().data(), MPFR_RNDN);
    mpfr_rec_sqrt(root_, root_, MPFR_RNDN);
  }
  ~Approximation() {
    mpfr_clear(value_);
    mpfr_clear(root_);
    mpfr_clear(rounded_);
  }
  Approximation(const Approximation&) = delete;
  Approximation& operator=(const Approximation&) = delete;

  double of(const mpz_int& numerator, long a) {
    mpfr_set_z(value_, numerator.backend().data(), MPFR_RNDN);
    mpfr_mul(value_, value_, root_, MPFR_RNDN);
    mpfr_mul(value_, value_, root_, MPFR_RNDN);
    mpfr_mul(value_, value_, root_, MPFR_RNDN);
    mpfr_mul_2si(value_, value_, a, MPFR_RNDN);
    return mpfr_get_d(value_, MPFR_RNDN);
  }

  // RN_format of the exact quotient whose approximation of() just computed, when that
  // approximation decides it (docs/oracle.md, "dx: the 128-bit decision"): its relative error
  // is below 8.6 * 2^-128, so its absolute error is below 2^(E - 124.8) for its exponent E;
  // told 2^(E - 123), mpfr_can_round certifies that the exact value is no (p+1)-bit number and
  // that every real that close rounds alike. Outputs a binade inside the format's normal range only:
  // the test assumes p-bit rounding with no exponent bounds. nullopt: the search decides.
  std::optional<double> decided(Format format) {
    if (mpfr_zero_p(value_) != 0) return std::nullopt;
    const FormatTraits& t = traits(format);
    const long e = mpfr_get_exp(value_);  // |value| in [2^(e-1), 2^e)
    if (e - 1 < t.emin + 1 || e > t.emax) return std::nullopt;
    if (mpfr_can_round(value_, 123, MPFR_RNDN, MPFR_RNDZ, t.precision + 1) == 0) return std::nullopt;
    mpfr_set_prec(rounded_, t.precision);  // p <= 53: one limb, no reallocation
    mpfr_set(rounded_, value_, MPFR_RNDN);
    return mpfr_get_d(rounded_, MPFR_RNDN);  // exact: p <= 53 bits, inside the format's range
  }

 private:
  mpfr_t value_, root_, rounded_;
};

}  // namespace

std::int64_t backward_dx_row(const BackwardRow& row, Format format, bool force_exact, DxScratch& s, double* dx,
                             double* dx_exact, LaneKernel lanes) {
  const ExactRowStats& st = *row.stats;
  s.undecided.clear();
  if (force_exact || !dx_double_tier(row, format, dx, dx_exact, s.undecided, lanes)) {
    s.undecided.resize(static_cast<std::size_t>(st.n));
    std::iota(s.undecided.begin(), s.undecided.end(), std::size_t{0});
  }
  if (s.undecided.empty()) return 0;
  const int base = exact_row(row, s);
  const long a = static_cast<long>(st.q) + base;
  Approximation approximate(st.denom_square);
  for (const std::size_t i : s.undecided) {
    exact_numerator(st, s, i);
    dx_exact[i] = approximate.of(s.numerator, a);
    if (!force_exact) {
      if (const std::optional<double> decided = approximate.decided(format)) {
        dx[i] = *decided;
        continue;
      }
    }
    // An exact zero dx is +0 (as an exact zero from cancellation is in the forward pass).
    dx[i] = round_by_search(
        format, dx_exact[i],
        [&](Dyadic m) { return s.comparator.over_sqrt_minus(s.numerator, a, s.v_cubed, m); }, false);
  }
  return static_cast<std::int64_t>(s.undecided.size());
}

}  // namespace normcheck::ref::detail
