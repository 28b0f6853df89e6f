// The harness tests' backward kernels (test_backward_kernels.hpp).
#include "tests/support/test_backward_kernels.hpp"

#include <cmath>
#include <csignal>
#include <vector>

#include "tests/support/abi_values.hpp"

namespace normcheck::testing {
namespace {

double rounded(ref::Format format, long double value) {
  return ref::round_to_format(format, static_cast<double>(value));
}

normcheck_status run(const normcheck_backward_kernel* self, const normcheck_backward_problem* p) {
  const auto defect = *static_cast<const BackwardDefect*>(self->context);
  const ref::Format xf = format_of(self->x_dtype), pf = format_of(self->param_dtype), df = format_of(self->y_dtype);
  const bool layernorm = self->op == NORMCHECK_LAYERNORM;
  const std::int64_t n = p->n;
  if (defect == BackwardDefect::crashes_on_wide_rows && n >= 3) std::raise(SIGSEGV);
  std::vector<long double> dgamma(static_cast<std::size_t>(n), 0.0L), dbeta(static_cast<std::size_t>(n), 0.0L);
  std::vector<long double> xhat(static_cast<std::size_t>(n)), g(static_cast<std::size_t>(n));
  for (std::int64_t r = 0; r < p->rows; ++r) {
    long double mean = layernorm ? p->mean[r] : 0.0L;
    long double rstd = p->rstd[r];
    if (defect == BackwardDefect::rstd_rounded_to_f16) rstd = ref::round_to_format(ref::Format::f16, p->rstd[r]);
    if (defect == BackwardDefect::recomputes_stats) {
      long double sum = 0, squares = 0;
      for (std::int64_t i = 0; i < n; ++i) sum += load_value(xf, p->x, r * n + i);
      mean = layernorm ? sum / static_cast<long double>(n) : 0.0L;
      for (std::int64_t i = 0; i < n; ++i) {
        const long double d = load_value(xf, p->x, r * n + i) - mean;
        squares += d * d;
      }
      rstd = 1.0L / std::sqrt(squares / static_cast<long double>(n) + p->eps);
    }
    long double mean_g = 0, mean_g_xhat = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const auto j = static_cast<std::size_t>(i);
      const long double x = load_value(xf, p->x, r * n + i);
      const long double dy = load_value(df, p->dy, r * n + i);
      const long double gamma = p->gamma ? load_value(pf, p->gamma, i) : 1.0L;
      xhat[j] = (x - mean) * rstd;
      g[j] = gamma * dy;
      mean_g += g[j];
      mean_g_xhat += g[j] * xhat[j];
      if (defect == BackwardDefect::last_row_only && r + 1 < p->rows) continue;
      dgamma[j] += dy * xhat[j];
      dbeta[j] += dy;
    }
    mean_g /= static_cast<long double>(n);
    mean_g_xhat /= static_cast<long double>(n);
    if (!layernorm) mean_g = 0;
    if (defect == BackwardDefect::mean_g_twice) mean_g *= 2;
    for (std::int64_t i = 0; i < n; ++i) {
      const auto j = static_cast<std::size_t>(i);
      store_value(xf, p->dx, r * n + i, rounded(xf, rstd * (g[j] - mean_g - xhat[j] * mean_g_xhat)));
    }
  }
  if (defect == BackwardDefect::writes_past_dx) store_value(xf, p->dx, p->rows * n, 0.0);
  for (std::int64_t i = 0; i < n; ++i) {
    const auto j = static_cast<std::size_t>(i);
    if (p->dgamma && defect != BackwardDefect::dgamma_unwritten) store_value(pf, p->dgamma, i, rounded(pf, dgamma[j]));
    if (p->dbeta) store_value(pf, p->dbeta, i, rounded(pf, dbeta[j]));
  }
  return defect == BackwardDefect::error_status ? NORMCHECK_ERROR : NORMCHECK_OK;
}

}  // namespace

TestBackwardKernel::TestBackwardKernel(const char* name, normcheck_op op, normcheck_dtype x, normcheck_dtype param,
                                       normcheck_dtype dy, BackwardDefect how)
    : defect(how) {
  kernel = normcheck_backward_kernel{name, op, x, param, dy, NORMCHECK_THREAD_SAFE, &defect, &run};
  info.kernel = &kernel;
  info.compute = NORMCHECK_F32;
  info.origin = impls::KernelOrigin::builtin;
  info.thread_safe = true;
}

}  // namespace normcheck::testing
