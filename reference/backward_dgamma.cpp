// dgamma_j = sum over rows of dy_rj D_rj / sqrt(V_r), correctly rounded: a double tier with a
// proven bound; else rows with equal V merged exactly (A_k = sum of the integers dy D of
// group k), then exact comparison (one irrational group, or only perfect squares: a rational)
// or Ziv's loop in MPFR interval arithmetic up to kDgammaCapBits.
#include <mpfr.h>

#include <algorithm>
#include <boost/multiprecision/gmp.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <memory>

#include "reference/backward_exact.hpp"
#include "reference/backward_sums.hpp"
#include "reference/certified_search.hpp"
#include "reference/certify_double.hpp"
#include "reference/rounding.hpp"
#include "reference/two_sum.hpp"

namespace normcheck::ref::detail {
namespace {

using boost::multiprecision::mpq_rational;

// An mpfr_t with a lifetime.
struct Real {
  mpfr_t v;
  explicit Real(long precision = 64) { mpfr_init2(v, precision); }
  ~Real() { mpfr_clear(v); }
  Real(const Real&) = delete;
  Real& operator=(const Real&) = delete;
};

// Rows with one V: their terms share 1/sqrt(V), so their integer numerators add exactly.
struct Group {
  mpz_int v;
  bool square = false;
  mpz_int root;                    // sqrt(V) when square
  long bounds_precision = 0;       // precision of the cached bounds below (0: none)
  std::unique_ptr<Real> rsqrt_down, rsqrt_up;  // 1/sqrt(V) rounded down / up
  mpz_int numerator;               // A_k of the current column
};

void ensure_bounds(Group& g, long precision) {
  if (g.bounds_precision == precision) return;
  g.rsqrt_down = std::make_unique<Real>(precision);
  g.rsqrt_up = std::make_unique<Real>(precision);
  Real v(std::max<long>(64, static_cast<long>(mpz_sizeinbase(g.v.backend().data(), 2))));
  mpfr_set_z(v.v, g.v.backend().data(), MPFR_RNDN);  // exact
  mpfr_rec_sqrt(g.rsqrt_down->v, v.v, MPFR_RNDD);
  mpfr_rec_sqrt(g.rsqrt_up->v, v.v, MPFR_RNDU);
  g.bounds_precision = precision;
}

// [lo, hi] contains A / sqrt(V) (or A / root for a perfect square), at the given precision.
void term_bounds(Group& g, long precision, Real& lo, Real& hi) {
  const mpz_srcptr a = g.numerator.backend().data();
  if (g.square) {
    const mpz_srcptr root = g.root.backend().data();
    mpfr_set_z(lo.v, a, MPFR_RNDD);
    mpfr_div_z(lo.v, lo.v, root, MPFR_RNDD);
    mpfr_set_z(hi.v, a, MPFR_RNDU);
    mpfr_div_z(hi.v, hi.v, root, MPFR_RNDU);
    return;
  }
  ensure_bounds(g, precision);
  const bool positive = g.numerator.sign() > 0;
  // Lower: A_down * (A > 0 ? rsqrt_down : rsqrt_up); upper symmetric (docs/oracle.md).
  mpfr_set_z(lo.v, a, MPFR_RNDD);
  mpfr_mul(lo.v, lo.v, positive ? g.rsqrt_down->v : g.rsqrt_up->v, MPFR_RNDD);
  mpfr_set_z(hi.v, a, MPFR_RNDU);
  mpfr_mul(hi.v, hi.v, positive ? g.rsqrt_up->v : g.rsqrt_down->v, MPFR_RNDU);
}

int compare_dyadic(const mpfr_t value, Dyadic m) { return mpfr_cmp_si_2exp(value, m.mantissa, m.exponent); }

// RN_format of every real in [lo, hi] when it is one value (tried at the candidate from lo and
// its two neighbours, since the candidate is rounded twice): an ordinal k is proven when
// lo > midpoint(k-1, k) and hi < midpoint(k, k+1); a zero also needs the sign of [lo, hi].
bool decide(Format format, const mpfr_t lo, const mpfr_t hi, double& out) {
  const std::int64_t top = infinity_ordinal(format);
  const double guess = round_to_format(format, mpfr_get_d(lo, MPFR_RNDN));
  const std::int64_t k0 = ordinal(format, guess);
  for (std::int64_t k = std::max(k0 - 1, -top); k <= std::min(k0 + 1, top); ++k) {
    const bool above_lower = k == -top || compare_dyadic(lo, upper_midpoint(format, k - 1)) > 0;
    const bool below_upper = k == top || compare_dyadic(hi, upper_midpoint(format, k)) < 0;
    if (!above_lower || !below_upper) continue;
    if (k != 0) {
      out = value_at_ordinal(format, k);
      return true;
    }
    if (mpfr_sgn(lo) > 0) {
      out = 0.0;
      return true;
    }
    if (mpfr_sgn(hi) < 0) {
      out = -0.0;
      return true;
    }
    return false;  // possibly an exact zero: undecidable by intervals
  }
  return false;
}

class DgammaSolver {
 public:
  explicit DgammaSolver(const std::vector<BackwardRow>& rows) : rows_(rows) {
    std::map<mpz_int, std::size_t> index;
    for (const BackwardRow& row : rows) {
      const auto [it, inserted] = index.try_emplace(row.stats->denom_square, groups_.size());
      if (inserted) {
        groups_.emplace_back();
        Group& g = groups_.back();
        g.v = row.stats->denom_square;
        g.square = mpz_perfect_square_p(g.v.backend().data()) != 0;
        if (g.square) mpz_sqrt(g.root.backend().data(), g.v.backend().data());
      }
      group_of_row_.push_back(it->second);
    }
  }

  // Returns true when the column hit the cap.
  bool solve(std::int64_t j, Format format, bool zero_is_negative, double& out, double& out_exact) {
    const int base = merge_column(j);
    active_.clear();
    for (std::size_t k = 0; k < groups_.size(); ++k) {
      if (groups_[k].numerator != 0) active_.push_back(k);
    }
    if (active_.empty()) {
      out = out_exact = zero_is_negative ? -0.0 : 0.0;
      return false;
    }
    if (active_.size() == 1 && !groups_[active_[0]].square) {
      Group& g = groups_[active_[0]];
      out_exact = approximate(base);
      out = round_by_search(
          format, out_exact, [&](Dyadic m) { return comparator_.over_sqrt_minus(g.numerator, base, g.v, m); }, false);
      return false;
    }
    const bool all_square =
        std::all_of(active_.begin(), active_.end(), [&](std::size_t k) { return groups_[k].square; });
    if (all_square) {
      // sum A_k / root_k exactly, then one rounding by exact comparison.
      mpq_rational total = 0;
      for (std::size_t k : active_) total += mpq_rational(groups_[k].numerator, groups_[k].root);
      const mpz_int num = numerator(total);
      const mpz_int den = denominator(total);
      out_exact = approximate(base);
      out = round_by_search(
          format, out_exact, [&](Dyadic m) { return comparator_.rational_minus(num, base, den, m); }, false);
      return false;
    }
    return ziv(format, base, out, out_exact);
  }

 private:
  // A_k = sum over the rows of group k of DY_rj D_rj, DY = dy 2^-base; returns base.
  int merge_column(std::int64_t j) {
    int base = std::numeric_limits<int>::max();
    for (const BackwardRow& row : rows_) {
      const Dyadic d = to_dyadic(row.dy[j]);
      if (d.mantissa != 0) base = std::min(base, d.exponent);
    }
    if (base == std::numeric_limits<int>::max()) base = 0;
    for (Group& g : groups_) g.numerator = 0;
    for (std::size_t r = 0; r < rows_.size(); ++r) {
      const BackwardRow& row = rows_[r];
      if (row.dy[j] == 0.0) continue;
      shifted_mantissa(row.dy[j], base, dy_);
      exact_deviation(row.input, *row.stats, j, deviation_, scratch_);
      mpz_addmul(groups_[group_of_row_[r]].numerator.backend().data(), dy_.backend().data(),
                 deviation_.backend().data());
    }
    return base;
  }

  // [lo, hi] for the whole column (times 2^base, exact) at the given precision.
  void bounds(long precision, int base, Real& lo, Real& hi) {
    std::vector<std::unique_ptr<Real>> lows, highs;
    std::vector<mpfr_ptr> low_ptrs, high_ptrs;
    for (std::size_t k : active_) {
      lows.push_back(std::make_unique<Real>(precision));
      highs.push_back(std::make_unique<Real>(precision));
      term_bounds(groups_[k], precision, *lows.back(), *highs.back());
      low_ptrs.push_back(lows.back()->v);
      high_ptrs.push_back(highs.back()->v);
    }
    mpfr_set_prec(lo.v, precision);
    mpfr_set_prec(hi.v, precision);
    mpfr_sum(lo.v, low_ptrs.data(), low_ptrs.size(), MPFR_RNDD);
    mpfr_sum(hi.v, high_ptrs.data(), high_ptrs.size(), MPFR_RNDU);
    mpfr_mul_2si(lo.v, lo.v, base, MPFR_RNDD);  // exact: MPFR's exponent range is far wider
    mpfr_mul_2si(hi.v, hi.v, base, MPFR_RNDU);
  }

  // The exact column value to within one f64 ulp (a guess for the search, and dgamma_exact):
  // the interval at rising precision until it is narrow (see narrow()).
  double approximate(int base) {
    Real lo, hi;
    for (long precision = kDgammaStartBits; precision <= kDgammaCapBits; precision *= 2) {
      bounds(precision, base, lo, hi);
      if (narrow(lo, hi)) break;
    }
    return midpoint(lo, hi);
  }

  // hi - lo <= 2^-56 min(|lo|, |hi|) with lo, hi of one sign: the midpoint is then within
  // 2^-57 relative of every point of the interval, so its RN_f64 is within one f64 ulp.
  static bool narrow(Real& lo, Real& hi) {
    if (mpfr_sgn(lo.v) * mpfr_sgn(hi.v) <= 0) return false;
    Real width(mpfr_get_prec(lo.v));
    mpfr_sub(width.v, hi.v, lo.v, MPFR_RNDU);
    mpfr_mul_2si(width.v, width.v, 56, MPFR_RNDU);
    return mpfr_cmpabs(width.v, lo.v) <= 0 && mpfr_cmpabs(width.v, hi.v) <= 0;
  }

  static double midpoint(Real& lo, Real& hi) {
    Real mid(mpfr_get_prec(lo.v) + 1);
    mpfr_add(mid.v, lo.v, hi.v, MPFR_RNDN);
    mpfr_div_2ui(mid.v, mid.v, 1, MPFR_RNDN);
    return mpfr_get_d(mid.v, MPFR_RNDN);
  }

  // Ziv: rising precision until [lo, hi] rounds to one value. At the cap the midpoint's
  // rounding is returned (+0 when the interval still holds 0) and the column counted: either
  // neighbour of the exact value may be the right one. Only sums the loop cannot separate from
  // a midpoint reach it: constructed cancellations across rows whose V differ by a square
  // factor (V_a = 4 V_b with A_a = -2 A_b is exactly 0), or a rational sum on a midpoint.
  bool ziv(Format format, int base, double& out, double& out_exact) {
    Real lo, hi;
    bool decided = false;
    for (long precision = kDgammaStartBits; precision <= kDgammaCapBits; precision *= 2) {
      bounds(precision, base, lo, hi);
      decided = decided || decide(format, lo.v, hi.v, out);
      // Once decided, more precision only narrows dgamma_exact to one f64 ulp.
      if (decided && narrow(lo, hi)) break;
    }
    if (decided) {
      out_exact = midpoint(lo, hi);
      return false;
    }
    // An interval still holding 0 is most likely an exact cancellation, which is +0.
    if (mpfr_sgn(lo.v) <= 0 && mpfr_sgn(hi.v) >= 0) {
      out = out_exact = 0.0;
      return true;
    }
    out_exact = midpoint(lo, hi);
    out = round_to_format(format, out_exact);
    return true;
  }

  const std::vector<BackwardRow>& rows_;
  std::vector<Group> groups_;
  std::vector<std::size_t> group_of_row_;
  std::vector<std::size_t> active_;
  mpz_int dy_, deviation_, scratch_;
  BackwardComparator comparator_;
};

// The double tier: t_rj = fl(fl(dy_rj D_rj) rs_r), D_rj = x_rj (n 2^q) - S exactly in doubles
// (n X and S are integers below 2^53 on the first tier's rows), summed down each column by
// Sum2 (Ogita, Rump, Oishi). Each term errs by (1+u)^2 (1+rho) - 1 <= 3.01u relative
// (rs = RN(RN_128(1/sqrt V)), |rho| <= 1.0001u); Sum2 adds u|res| + gamma_{R-1}^2 sum|t|, and
// gamma_{R-1}^2 <= 2^-13 u for R < 2^20; so err = 1.01 u (3.1 A + |res|), A the computed
// sum |t| (within 1 + 2^-33 of the true one). Only for rows of the first tier
// (|D| < 2^53, 1 <= V < 2^128), |q| <= 1000 and |dy| in [2^-900, 2^900] or 0: every product is
// then a normal double, and subnormal sums are exact.
bool fast_sums(const std::vector<BackwardRow>& rows, std::int64_t n, std::vector<double>& sum,
               std::vector<double>& magnitude, std::vector<char>& in_range) {
  const auto count = static_cast<std::size_t>(n);
  if (rows.size() >= (std::size_t{1} << 20)) return false;
  sum.assign(count, 0.0);
  magnitude.assign(count, 0.0);
  std::vector<double> compensation(count, 0.0), smallest(count, std::numeric_limits<double>::infinity()),
      largest(count, 0.0);
  for (const BackwardRow& row : rows) {
    const ExactRowStats& st = *row.stats;
    if (!st.double_tier_row || st.q < -1000 || st.q > 1000) return false;
    const double rs = st.rsqrt_hi;
    const double scale_x = static_cast<double>(n) * pow2(st.q);
    const double sum_x = static_cast<double>(st.sum_small);
    const double* x = row.input.first;
    for (std::size_t j = 0; j < count; ++j) {
      const double dy = row.dy[j];
      const double a = std::fabs(dy);
      smallest[j] = std::min(smallest[j], a == 0.0 ? 1.0 : a);
      largest[j] = std::max(largest[j], a);
      const double t = (dy * (x[j] * scale_x - sum_x)) * rs;
      double e;
      two_sum(sum[j], t, sum[j], e);
      compensation[j] += e;
      magnitude[j] += std::fabs(t);
    }
  }
  in_range.resize(count);
  for (std::size_t j = 0; j < count; ++j) {
    sum[j] += compensation[j];
    in_range[j] = smallest[j] >= 0x1p-900 && largest[j] <= 0x1p900;
  }
  return true;
}

}  // namespace

std::int64_t dgamma_columns(const std::vector<BackwardRow>& rows, std::int64_t n, Format format, bool force_exact,
                            const ColumnPlan& plan, double* out, double* out_exact, std::int64_t& exact_count) {
  exact_count = 0;
  std::vector<double> sum, magnitude;
  std::vector<char> in_range;
  const bool fast = !force_exact && fast_sums(rows, n, sum, magnitude, in_range);
  std::unique_ptr<DgammaSolver> solver;
  std::int64_t capped = 0;
  for (std::int64_t j = 0; j < n; ++j) {
    const auto c = static_cast<std::size_t>(j);
    if (!plan.needed[c]) continue;
    if (fast && in_range[c]) {
      const double err = 1.01 * 0x1p-53 * (3.1 * magnitude[c] + std::fabs(sum[c]));
      if (certify_double(format, sum[c], err, out[j])) {
        out_exact[j] = sum[c];
        continue;
      }
    }
    ++exact_count;
    if (!solver) solver = std::make_unique<DgammaSolver>(rows);
    if (solver->solve(j, format, plan.zero_is_negative[c] != 0, out[j], out_exact[j])) ++capped;
  }
  return capped;
}

}  // namespace normcheck::ref::detail
