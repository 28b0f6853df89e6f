// The backward score's scales (backward_measures.hpp).
#include "harness/backward_measures.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace normcheck::harness {

namespace {

// The scales in Real arithmetic, stored as long double. Real = long double has the range of
// any f64 case; Real = double suffices when x, dy and gamma are f32, bf16 or f16 values
// (backward_scales), and runs several times faster than the x87 unit.
template <class Real>
BackwardScales scales_in(const ref::BackwardProblem& p, ref::Format compute, const std::vector<double>& mean,
                         const std::vector<double>& rstd, const std::vector<double>& saved_mean) {
  const auto n = static_cast<std::size_t>(p.n);
  const auto rows = static_cast<std::size_t>(p.rows);
  const auto lambda = static_cast<Real>(ref::exact_pow2(ref::traits(compute).emin));
  // The saved mean is rounded to f32: below f32's smallest normal its error is absolute,
  // up to u_s lambda_f32, not u_s |mean|; in xhat it is scaled by rstd.
  const auto lambda_saved = static_cast<Real>(ref::exact_pow2(ref::traits(ref::Format::f32).emin));
  const bool layernorm = p.op == ref::Op::layernorm;
  BackwardScales s;
  s.dx.resize(rows * n);
  s.dx_underflow.resize(rows * n);
  s.dx_saved.resize(rows * n);
  s.dgamma.assign(n, 0.0L);
  s.dbeta.assign(n, 0.0L);
  s.dgamma_underflow = static_cast<long double>(lambda) * static_cast<long double>(p.rows);
  std::vector<Real> g(n), a(n), xhat(n), dgamma(n, Real{0}), dbeta(n, Real{0});
  for (std::size_t r = 0; r < rows; ++r) {
    const Real row_rstd = rstd[r];
    const Real row_mean = layernorm ? static_cast<Real>(mean[r]) : Real{0};
    const Real mean_rounding = std::fabs(row_mean) * static_cast<Real>(0x1p-53);
    const double* x = p.x.data() + r * n;
    const double* dy = p.dy.data() + r * n;
    // The mean's error scales with mean(|x|), not |mean|, which cancellation can shrink.
    Real mean_abs = 0;
    if (layernorm) {
      for (std::size_t j = 0; j < n; ++j) mean_abs += std::fabs(static_cast<Real>(x[j]));
      mean_abs /= static_cast<Real>(n);
    }
    const Real a_offset = mean_abs + (layernorm ? lambda_saved : Real{0});
    Real mean_g = 0, mean_g_xhat = 0, mean_g_a = 0;
    for (std::size_t j = 0; j < n; ++j) {
      const Real xj = x[j];
      const Real gamma = p.gamma.empty() ? Real{1} : static_cast<Real>(p.gamma[j]);
      const Real dyj = dy[j];
      g[j] = std::fabs(gamma * dyj);
      a[j] = (std::fabs(xj) + a_offset) * row_rstd;
      // |x - mean| from the mean rounded to f64, widened by that rounding: on a row whose
      // values differ in their last bits the rounded mean may equal an element exactly.
      xhat[j] = (std::fabs(xj - row_mean) + mean_rounding) * row_rstd;
      mean_g += g[j];
      mean_g_xhat += g[j] * xhat[j];
      mean_g_a += g[j] * a[j];
      dgamma[j] += std::fabs(dyj) * a[j];
      dbeta[j] += std::fabs(dyj);
    }
    const auto count = static_cast<Real>(n);
    mean_g /= count;
    mean_g_xhat /= count;
    mean_g_a /= count;
    // The saved mean's offset in xhat units, c = (mean' - mean) rstd, widened by the f64
    // rounding of the mean it is measured from; its square enters dx through mean(g).
    const Real offset = r < saved_mean.size()
                            ? (std::fabs(static_cast<Real>(saved_mean[r]) - row_mean) + mean_rounding) * row_rstd
                            : Real{0};
    const Real second_order = row_rstd * offset * offset * mean_g / static_cast<Real>(kSavedStatisticsRoundoff);
    // Each of the bracket's four terms may underflow to an absolute error of lambda_c,
    // scaled by rstd; the final product by one more.
    const auto underflow = static_cast<long double>(lambda * (4 * row_rstd + 1));
    for (std::size_t i = 0; i < n; ++i) {
      const Real dx = row_rstd * (g[i] + mean_g + a[i] * mean_g_xhat + xhat[i] * mean_g_a);
      s.dx[r * n + i] = dx;
      s.dx_saved[r * n + i] = dx + second_order;
      s.dx_underflow[r * n + i] = underflow;
    }
  }
  std::copy(dgamma.begin(), dgamma.end(), s.dgamma.begin());
  std::copy(dbeta.begin(), dbeta.end(), s.dbeta.begin());
  return s;
}

}  // namespace

BackwardScales backward_scales(const ref::BackwardProblem& p, ref::Format compute, const std::vector<double>& mean,
                               const std::vector<double>& rstd, const std::vector<double>& saved_mean) {
  // Below f64, double holds every intermediate of a judged case: |x|, |dy|, |gamma| < 2^128
  // and rstd < 2^128 (an rstd beyond f32 is skipped, backward_evaluate.cpp), so g < 2^256,
  // A and |xhat| < 2^257, and the largest term, rstd c^2 mean|g| / u_s, stays below 2^925
  // (sums over n < 2^31 add at most 2^31 before their division by n). A term that would
  // underflow double (below 2^-1022) is far below the output's ulp (at least 2^-149), which
  // every allowance includes. An f64 case's terms exceed 2^1024 and need long double.
  const bool narrow = p.x_format != ref::Format::f64 && p.param_format != ref::Format::f64 &&
                      p.dy_format != ref::Format::f64;
  return narrow ? scales_in<double>(p, compute, mean, rstd, saved_mean)
                : scales_in<long double>(p, compute, mean, rstd, saved_mean);
}

double backward_score(double unit, double got, double exact, long double scale, long double underflow,
                      long double stats_scale, double compute_roundoff) {
  const long double error = std::fabs(static_cast<long double>(got) - exact);
  const long double allowance = unit + static_cast<long double>(compute_roundoff) * (scale + underflow) +
                                static_cast<long double>(kSavedStatisticsRoundoff) * stats_scale;
  return static_cast<double>(error / allowance);
}

}  // namespace normcheck::harness
