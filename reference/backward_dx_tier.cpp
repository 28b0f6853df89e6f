// The double tier of dx, lane-wise (reference/lanes.hpp): the evaluation whose bound
// docs/oracle.md proves ("dx: the double tier and its bound"), and certify_double's
// normal-range test in every lane. Two passes over the row, each reading x, dy and gamma
// again rather than storing g and D: the compensated sums, then every element's bracket,
// approximation, bound and rounding test.
#include "reference/backward_dx_tier.hpp"

#include <cmath>
#include <cstdint>
#include <limits>

#include "reference/certify_double.hpp"
#include "reference/lanes.hpp"
#include "reference/rounding.hpp"
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
constexpr double kInf = std::numeric_limits<double>::infinity();

// certify_double's normal-range test for a format of precision p < 53, as constants: the
// biased f64 exponent fields of 2^emin and 2^emax, and the masks that round the significand.
struct LaneFormat {
  Format format;
  std::int64_t field_lo, field_hi, precision;
  int dropped;                  // 53 - p significand bits below the format's
  std::int64_t half_minus_one;  // 2^(dropped - 1) - 1
  std::int64_t keep;            // ~(2^dropped - 1)
};

// A row inside the tier's ranges and its scalars (see plan_row).
struct RowPlan {
  const double* x;
  const double* dy;
  const double* gamma;  // null: ones
  std::size_t count;
  bool layernorm;
  double nd, rs, rstd;
  double scale_x, sum_x;  // D_i = x_i scale_x - sum_x
  LaneFormat format;
};

// The first pass's sums: Sum2 of g and of g D, sum |g|, sum |g D|, and the factors' range
// (zero factors exempt: they make g an exact 0).
struct RowSums {
  double sum_g, dot, abs_g, abs_dot, min_factor, max_factor;
};

// The second pass's per-row constants: T_i = (g_i - mean_g) - D_i k, approx_i = rstd T_i,
// err_i = scale (2|g_i| + bound_g + |D_i| bound_h + 5|T_i|) + slack.
struct Bracket {
  double mean_g, k, rstd, scale, bound_g, bound_h;
};

// The row-level preconditions (docs/oracle.md): false when the row is outside the tier.
bool plan_row(const BackwardRow& row, const FormatTraits& t, Format format, RowPlan& p) {
  const ExactRowStats& st = *row.stats;
  const std::int64_t n = st.n;
  // rstd T must neither overflow nor underflow (a nonzero T is at least about 2^-560: every
  // operand is a multiple of a quantum above that, |g| >= 2^-300 and rs^2 >= 2^-128), and n^2 u
  // stays below 2^-13 (the bound's O(u^2) terms).
  if (!st.double_tier_row || n >= (std::int64_t{1} << 20) || st.q < -400 || st.q > 400)
    return false;
  p.nd = static_cast<double>(n);
  p.rs = st.rsqrt_hi;
  p.rstd = p.nd * p.rs * pow2(st.q);
  if (!(p.rstd >= 0x1p-400 && p.rstd <= 0x1p400)) return false;
  p.x = row.input.first;
  p.dy = row.dy;
  p.gamma = row.gamma;
  p.count = static_cast<std::size_t>(n);
  p.layernorm = row.input.op == Op::layernorm;
  // D_i = x_i (n 2^q) - S in doubles: n X_i and S are integers below 2^53 on the tier's rows
  // (n max|X| + |S| < 2^53), so both operations are exact.
  p.scale_x = p.nd * pow2(st.q);
  p.sum_x = static_cast<double>(st.sum_small);
  const int dropped = 53 - t.precision;
  p.format = {format,
              t.emin + 1023,
              t.emax + 1023,
              t.precision,
              dropped,
              (std::int64_t{1} << (dropped - 1)) - 1,
              ~((std::int64_t{1} << dropped) - 1)};
  return true;
}

// mean_g = fl(Sg / n) (RMSNorm 0), k = fl(fl(P fl(rs^2)) / n), and the bound's row terms
// 5 G1 / n and 10 H1 rs^2 / n (docs/oracle.md).
[[gnu::always_inline]] inline Bracket bracket_of(const RowPlan& p, const RowSums& s) {
  const double rs2 = p.rs * p.rs;
  return {p.layernorm ? s.sum_g / p.nd : 0.0,
          s.dot * rs2 / p.nd,
          p.rstd,
          1.01 * kUnit * p.rstd,
          5.0 * s.abs_g / p.nd,
          10.0 * s.abs_dot * rs2 / p.nd};
}

template <int kWidth, bool kGamma>
struct TierLanes {
  using L = VectorLanes<kWidth>;
  using Doubles = typename L::Doubles;
  using Ints = typename L::Ints;
  static constexpr auto kW = static_cast<std::size_t>(kWidth);

  struct Block {
    Doubles x, dy, gamma;
  };

  [[gnu::always_inline]] static Block block_at(const RowPlan& p, std::size_t i) {
    return {L::load(p.x + i), L::load(p.dy + i), kGamma ? L::load(p.gamma + i) : L::splat(1.0)};
  }
  // The last count - i < kW elements, padded with dy = gamma = 0: g = 0 adds an exact zero to
  // every sum, and zero factors are exempt from the range test.
  [[gnu::always_inline]] static Block tail_at(const RowPlan& p, std::size_t i) {
    double x[kW] = {}, dy[kW] = {}, gamma[kW] = {};
    for (std::size_t j = 0; j < kW && i + j < p.count; ++j) {
      x[j] = p.x[i + j];
      dy[j] = p.dy[i + j];
      gamma[j] = kGamma ? p.gamma[i + j] : 1.0;
    }
    return {L::load(x), L::load(dy), L::load(gamma)};
  }
  [[gnu::always_inline]] static Doubles g_of(const Block& b) { return b.gamma * b.dy; }
  [[gnu::always_inline]] static Doubles d_of(const RowPlan& p, const Block& b) {
    return b.x * p.scale_x - p.sum_x;
  }

  // Sum2 in every lane (the lanes combined last keep its proof: each TwoSum keeps
  // sum p = sum s + sum q exactly, n - 1 of them do any work, and each |q| <= u sum |p|).
  struct Accumulators {
    Doubles sum_g{}, sum_g_err{}, dot{}, dot_err{}, abs_g{}, abs_dot{};
    Doubles lo = L::splat(kInf), hi{};
  };

  [[gnu::always_inline]] static void accumulate(const RowPlan& p, const Block& b, Accumulators& a) {
    const Doubles a_dy = L::vabs(b.dy), a_gamma = L::vabs(b.gamma);
    const Doubles one = L::splat(1.0);
    a.lo = L::vmin(
        a.lo, L::vmin(L::select(a_dy == 0.0, one, a_dy), L::select(a_gamma == 0.0, one, a_gamma)));
    a.hi = L::vmax(a.hi, L::vmax(a_dy, a_gamma));
    const Doubles g = g_of(b);
    const Doubles gd = g * d_of(p, b);
    Doubles e;
    two_sum(a.sum_g, g, a.sum_g, e);
    a.sum_g_err += e;
    two_sum(a.dot, gd, a.dot, e);
    a.dot_err += e;
    a.abs_g += L::vabs(g);
    a.abs_dot += L::vabs(gd);
  }

  [[gnu::always_inline]] static double combine(Doubles sums, Doubles errs) {
    double total = sums[0], err = errs[0];
    for (int l = 1; l < kWidth; ++l) {
      double e;
      two_sum(total, sums[l], total, e);
      err += e + errs[l];
    }
    return total + err;
  }

  [[gnu::always_inline]] static RowSums sums(const RowPlan& p) {
    Accumulators a;
    const std::size_t body = p.count - p.count % kW;
    for (std::size_t i = 0; i < body; i += kW) accumulate(p, block_at(p, i), a);
    if (body < p.count) accumulate(p, tail_at(p, body), a);
    RowSums s{combine(a.sum_g, a.sum_g_err), combine(a.dot, a.dot_err), 0.0, 0.0, kInf, 0.0};
    for (int l = 0; l < kWidth; ++l) {
      s.abs_g += a.abs_g[l];
      s.abs_dot += a.abs_dot[l];
      s.min_factor = std::fmin(s.min_factor, a.lo[l]);
      s.max_factor = std::fmax(s.max_factor, a.hi[l]);
    }
    return s;
  }

  // certify_double's test for |approx| in the format's normal range, lane by lane (its
  // comments give the reasoning): all-ones lanes are certified, with out their rounding.
  // approx is finite on the tier's rows, so the signed lanes' additions cannot overflow.
  [[gnu::always_inline]] static Ints certify(const LaneFormat& f, Doubles approx, Doubles err,
                                             Doubles& out) {
    constexpr std::int64_t kFraction = (std::int64_t{1} << 52) - 1;
    const Ints bits = (Ints)approx & L::kAbsMask;
    const Ints field = bits >> 52;
    const Ints rounded = (bits + f.half_minus_one + ((bits >> f.dropped) & 1)) & f.keep;
    const Ints cfield = rounded >> 52;
    const Doubles magnitude = (Doubles)rounded;
    const Doubles half_away = (Doubles)((cfield - f.precision) << 52);
    const Ints binade_start = (cfield > f.field_lo) & ((rounded & kFraction) == 0);
    const Doubles half_toward = L::select(binade_start, half_away * 0.5, half_away);
    const Doubles d = (Doubles)bits - magnitude;
    out = (Doubles)(rounded | ((Ints)approx & ~L::kAbsMask));
    return (field >= f.field_lo) & (field <= f.field_hi) & (cfield <= f.field_hi) & (err >= 0.0) &
           (d + err < half_away) & (err - d < half_toward) &
           (err <= kExactWithinHalfGap * half_toward);
  }

  // The elements i to i + lanes - 1: stored where certified; the others get the general
  // test, and the ones it leaves go to undecided.
  [[gnu::always_inline]] static void decide(const RowPlan& p, const Bracket& c, const Block& b,
                                            std::size_t i, std::size_t lanes, double* dx,
                                            double* dx_exact, std::vector<std::size_t>& undecided) {
    const Doubles g = g_of(b);
    const Doubles d = d_of(p, b);
    const Doubles t = (g - c.mean_g) - d * c.k;
    const Doubles approx = c.rstd * t;
    const Doubles err =
        c.scale * (2.0 * L::vabs(g) + c.bound_g + L::vabs(d) * c.bound_h + 5.0 * L::vabs(t)) +
        kAbsoluteSlack;
    Doubles out;
    const Ints ok = certify(p.format, approx, err, out);
    if (lanes == kW) {
      L::store(dx + i, out);
      L::store(dx_exact + i, approx);
    } else {
      for (std::size_t j = 0; j < lanes; ++j) {
        dx[i + j] = out[j];
        dx_exact[i + j] = approx[j];
      }
    }
    // One test for the whole block first: nearly every block is certified in every lane.
    std::int64_t missing = 0;
    for (int j = 0; j < kWidth; ++j) missing |= ~ok[j];
    if (missing == 0) return;
    for (std::size_t j = 0; j < lanes; ++j) {
      if (ok[j] == 0 && !certify_double(p.format.format, approx[j], err[j], dx[i + j]))
        undecided.push_back(i + j);
    }
  }

  [[gnu::always_inline]] static bool run(const RowPlan& shared, double* dx, double* dx_exact,
                                         std::vector<std::size_t>& undecided) {
    // A local copy: no store to dx (or into undecided) can alias it, so its fields stay in
    // registers across the loops instead of being reloaded after every store.
    const RowPlan p = shared;
    const RowSums s = sums(p);
    // Out of range, the products above may have underflowed: the results are discarded.
    if (!(s.min_factor >= kMinFactor && s.max_factor <= kMaxFactor)) return false;
    const Bracket c = bracket_of(p, s);
    const std::size_t body = p.count - p.count % kW;
    for (std::size_t i = 0; i < body; i += kW)
      decide(p, c, block_at(p, i), i, kW, dx, dx_exact, undecided);
    if (body < p.count)
      decide(p, c, tail_at(p, body), body, p.count - body, dx, dx_exact, undecided);
    return true;
  }
};

bool run_portable(const RowPlan& p, double* dx, double* dx_exact,
                  std::vector<std::size_t>& undecided) {
  return p.gamma ? TierLanes<2, true>::run(p, dx, dx_exact, undecided)
                 : TierLanes<2, false>::run(p, dx, dx_exact, undecided);
}

// The default build targets baseline x86-64: the four-lane version is compiled for AVX2 and
// chosen at run time.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define NORMCHECK_HAVE_AVX2_DX 1
[[gnu::target("avx2")]] bool run_avx2(const RowPlan& p, double* dx, double* dx_exact,
                                      std::vector<std::size_t>& undecided) {
  return p.gamma ? TierLanes<4, true>::run(p, dx, dx_exact, undecided)
                 : TierLanes<4, false>::run(p, dx, dx_exact, undecided);
}
#endif

}  // namespace

bool dx_double_tier(const BackwardRow& row, Format format, double* dx, double* dx_exact,
                    std::vector<std::size_t>& undecided, LaneKernel lanes) {
  const FormatTraits& t = traits(format);
  RowPlan plan;
  if (t.precision >= 53 || !plan_row(row, t, format, plan)) return false;
#ifdef NORMCHECK_HAVE_AVX2_DX
  static const bool has_avx2 = __builtin_cpu_supports("avx2");
  if (lanes == LaneKernel::automatic && has_avx2) return run_avx2(plan, dx, dx_exact, undecided);
#else
  (void)lanes;
#endif
  return run_portable(plan, dx, dx_exact, undecided);
}

}  // namespace normcheck::ref::detail
