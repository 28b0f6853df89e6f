// The backward score's scales (backward_measures.hpp).
#include "harness/backward_measures.hpp"

#include <cmath>
#include <cstddef>

namespace normcheck::harness {

BackwardScales backward_scales(const ref::BackwardProblem& p, ref::Format compute, const std::vector<double>& mean,
                               const std::vector<double>& rstd, const std::vector<double>& saved_mean) {
  const auto n = static_cast<std::size_t>(p.n);
  const auto rows = static_cast<std::size_t>(p.rows);
  const long double lambda = ref::exact_pow2(ref::traits(compute).emin);
  // The saved mean is rounded to f32: below f32's smallest normal its error is absolute,
  // up to u_s lambda_f32, not u_s |mean|; in xhat it is scaled by rstd.
  const long double lambda_saved = ref::exact_pow2(ref::traits(ref::Format::f32).emin);
  BackwardScales s;
  s.dx.resize(rows * n);
  s.dx_underflow.resize(rows * n);
  s.dx_saved.resize(rows * n);
  s.dgamma.assign(n, 0.0L);
  s.dbeta.assign(n, 0.0L);
  s.dgamma_underflow = lambda * static_cast<long double>(p.rows);
  std::vector<long double> g(n), a(n), xhat(n);
  for (std::size_t r = 0; r < rows; ++r) {
    const long double row_rstd = rstd[r];
    const long double row_mean = p.op == ref::Op::layernorm ? mean[r] : 0.0L;
    const long double mean_rounding = std::fabs(row_mean) * 0x1p-53L;
    // The mean's error scales with mean(|x|), not |mean|, which cancellation can shrink.
    long double mean_abs = 0;
    if (p.op == ref::Op::layernorm) {
      for (std::size_t j = 0; j < n; ++j) mean_abs += std::fabs(static_cast<long double>(p.x[r * n + j]));
      mean_abs /= static_cast<long double>(n);
    }
    long double mean_g = 0, mean_g_xhat = 0, mean_g_a = 0;
    for (std::size_t j = 0; j < n; ++j) {
      const long double x = p.x[r * n + j];
      const long double gamma = p.gamma.empty() ? 1.0L : static_cast<long double>(p.gamma[j]);
      const long double dy = p.dy[r * n + j];
      g[j] = std::fabs(gamma * dy);
      a[j] = (std::fabs(x) + mean_abs + (p.op == ref::Op::layernorm ? lambda_saved : 0.0L)) * row_rstd;
      // |x - mean| from the mean rounded to f64, widened by that rounding: on a row whose
      // values differ in their last bits the rounded mean may equal an element exactly.
      xhat[j] = (std::fabs(x - row_mean) + mean_rounding) * row_rstd;
      mean_g += g[j];
      mean_g_xhat += g[j] * xhat[j];
      mean_g_a += g[j] * a[j];
      s.dgamma[j] += std::fabs(dy) * a[j];
      s.dbeta[j] += std::fabs(dy);
    }
    const auto count = static_cast<long double>(n);
    mean_g /= count;
    mean_g_xhat /= count;
    mean_g_a /= count;
    // The saved mean's offset in xhat units, c = (mean' - mean) rstd, widened by the f64
    // rounding of the mean it is measured from; its square enters dx through mean(g).
    const long double offset =
        r < saved_mean.size() ? (std::fabs(saved_mean[r] - row_mean) + mean_rounding) * row_rstd : 0.0L;
    const long double second_order = row_rstd * offset * offset * mean_g / static_cast<long double>(kSavedStatisticsRoundoff);
    for (std::size_t i = 0; i < n; ++i) {
      s.dx[r * n + i] = row_rstd * (g[i] + mean_g + a[i] * mean_g_xhat + xhat[i] * mean_g_a);
      s.dx_saved[r * n + i] = s.dx[r * n + i] + second_order;
      // Each of the bracket's four terms may underflow to an absolute error of lambda_c,
      // scaled by rstd; the final product by one more.
      s.dx_underflow[r * n + i] = lambda * (4 * row_rstd + 1);
    }
  }
  return s;
}

double backward_score(double unit, double got, double exact, long double scale, long double underflow,
                      long double stats_scale, double compute_roundoff) {
  const long double error = std::fabs(static_cast<long double>(got) - exact);
  const long double allowance = unit + static_cast<long double>(compute_roundoff) * (scale + underflow) +
                                static_cast<long double>(kSavedStatisticsRoundoff) * stats_scale;
  return static_cast<double>(error / allowance);
}

}  // namespace normcheck::harness
