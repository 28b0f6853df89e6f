// The backward kernels' long double reference, runner and tolerance check.
#include "backward_test_support.hpp"

#include <cmath>
#include <limits>
#include <sstream>

#include "kernel_test_support.hpp"

namespace normcheck::impls::testing {

BackwardReference backward_reference(normcheck_op op, const BackwardCase& c) {
  const bool centered = op == NORMCHECK_LAYERNORM;
  const auto rows = static_cast<size_t>(c.rows), n = static_cast<size_t>(c.n);
  const auto count = static_cast<long double>(c.n);
  BackwardReference ref;
  ref.mean.assign(rows, 0);
  ref.rstd.assign(rows, 0);
  ref.dx.assign(rows * n, 0);
  ref.dx_scale.assign(rows * n, 0);
  ref.dgamma.assign(n, 0);
  ref.dgamma_scale.assign(n, 0);
  ref.dbeta.assign(n, 0);
  ref.dbeta_scale.assign(n, 0);
  std::vector<long double> xhat(n), g(n);
  for (size_t r = 0; r < rows; ++r) {
    const long double* x = c.x.data() + r * n;
    const long double* dy = c.dy.data() + r * n;
    long double mean = 0;
    if (centered) {
      for (size_t i = 0; i < n; ++i) mean += x[i];
      mean /= count;
      long double dev = 0;
      for (size_t i = 0; i < n; ++i) dev += x[i] - mean;
      mean += dev / count;
    }
    long double sum_sq = 0;
    for (size_t i = 0; i < n; ++i) sum_sq += (x[i] - mean) * (x[i] - mean);
    const long double rstd = 1.0L / std::sqrt(sum_sq / count + static_cast<long double>(c.eps));
    ref.mean[r] = mean;
    ref.rstd[r] = rstd;
    long double sum_g = 0, sum_gx = 0, sum_abs_g = 0, sum_abs_gx = 0;
    for (size_t i = 0; i < n; ++i) {
      xhat[i] = (x[i] - mean) * rstd;
      g[i] = (c.gamma.empty() ? 1.0L : c.gamma[i]) * dy[i];
      sum_g += g[i];
      sum_gx += g[i] * xhat[i];
      sum_abs_g += std::fabs(g[i]);
      sum_abs_gx += std::fabs(g[i] * xhat[i]);
    }
    const long double mean_g = centered ? sum_g / count : 0, mean_gx = sum_gx / count;
    for (size_t i = 0; i < n; ++i) {
      ref.dx[r * n + i] = rstd * (g[i] - mean_g - xhat[i] * mean_gx);
      ref.dx_scale[r * n + i] =
          rstd * (std::fabs(g[i]) + (centered ? sum_abs_g / count : 0) +
                  (std::fabs(xhat[i]) + rstd * std::fabs(mean)) * sum_abs_gx / count);
      ref.dgamma[i] += dy[i] * xhat[i];
      ref.dgamma_scale[i] += std::fabs(dy[i]) * (std::fabs(xhat[i]) + rstd * std::fabs(mean));
      ref.dbeta[i] += dy[i];
      ref.dbeta_scale[i] += std::fabs(dy[i]);
    }
  }
  return ref;
}

BackwardOutputs run_backward_kernel(const normcheck_backward_kernel& kernel, const BackwardCase& c, bool params) {
  const auto total = static_cast<size_t>(c.rows * c.n), n = static_cast<size_t>(c.n);
  const BackwardReference ref = backward_reference(kernel.op, c);
  std::vector<float> mean(ref.mean.begin(), ref.mean.end()), rstd(ref.rstd.begin(), ref.rstd.end());
  Typed x(kernel.x_dtype, c.x), dy(kernel.y_dtype, c.dy), gamma(kernel.param_dtype, c.gamma);
  const std::vector<long double> nan_row(n, std::numeric_limits<long double>::quiet_NaN());
  Typed dx(kernel.x_dtype, std::vector<long double>(total, std::numeric_limits<long double>::quiet_NaN()));
  Typed dgamma(kernel.param_dtype, nan_row), dbeta(kernel.param_dtype, nan_row);
  normcheck_backward_problem p{};
  p.rows = c.rows;
  p.n = c.n;
  p.eps = c.eps;
  p.x = x.data();
  p.dy = dy.data();
  p.gamma = gamma.data();
  p.mean = kernel.op == NORMCHECK_LAYERNORM ? mean.data() : nullptr;
  p.rstd = rstd.data();
  p.dx = dx.data();
  p.dgamma = params ? dgamma.data() : nullptr;
  p.dbeta = params ? dbeta.data() : nullptr;
  BackwardOutputs out;
  out.status = kernel.run(&kernel, &p);
  out.dx = dx.values(total);
  if (params) {
    out.dgamma = dgamma.values(n);
    out.dbeta = dbeta.values(n);
  }
  return out;
}

namespace {

// The first element of got beyond ulp(want) + k u scale, described; worst gets the largest
// error beyond one ulp in units of u scale.
std::optional<std::string> compare(const char* what, normcheck_dtype dtype, const std::vector<long double>& got,
                                   const std::vector<long double>& want, const std::vector<long double>& scale,
                                   long double k, long double u, double* worst) {
  if (got.size() != want.size()) return std::string(what) + ": wrong size";
  for (size_t i = 0; i < got.size(); ++i) {
    const long double ulp = ulp_at(dtype, want[i]);
    const long double err = std::fabs(got[i] - want[i]);
    const long double bound = ulp + k * u * scale[i];
    if (worst != nullptr && scale[i] > 0 && std::isfinite(err)) {
      *worst = std::max(*worst, static_cast<double>(std::max(0.0L, err - ulp) / (u * scale[i])));
    }
    if (!(err <= bound)) {
      std::ostringstream s;
      s.precision(std::numeric_limits<long double>::max_digits10);
      s << what << "[" << i << "] = " << got[i] << ", reference " << want[i] << ", allowed error " << bound;
      return s.str();
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> first_backward_mismatch(const BackwardKernelInfo& info, const BackwardCase& c, double k,
                                                   double* worst_ratio) {
  const normcheck_backward_kernel& kernel = *info.kernel;
  const BackwardOutputs out = run_backward_kernel(kernel, c);
  if (out.status != NORMCHECK_OK) return "status " + std::to_string(static_cast<int>(out.status));
  const BackwardReference ref = backward_reference(kernel.op, c);
  const long double u = unit_roundoff(info.compute);
  const auto kk = static_cast<long double>(k);
  if (auto m = compare("dx", kernel.x_dtype, out.dx, ref.dx, ref.dx_scale, kk, u, worst_ratio)) return m;
  if (auto m = compare("dgamma", kernel.param_dtype, out.dgamma, ref.dgamma, ref.dgamma_scale, kk, u, worst_ratio)) {
    return m;
  }
  return compare("dbeta", kernel.param_dtype, out.dbeta, ref.dbeta, ref.dbeta_scale, kk, u, worst_ratio);
}

BackwardCase random_backward_case(const normcheck_backward_kernel& kernel, std::mt19937_64& rng, int64_t rows,
                                  int64_t n, long double mean, long double spread) {
  BackwardCase c;
  c.rows = rows;
  c.n = n;
  c.x = normal_values(rng, kernel.x_dtype, rows * n, mean, spread);
  c.dy = normal_values(rng, kernel.y_dtype, rows * n, 0, 1);
  c.gamma = normal_values(rng, kernel.param_dtype, n, 1, 0.5);
  return c;
}

}  // namespace normcheck::impls::testing
