/* example_plugin.c: a complete normcheck plugin in one C file, an fp32 LayerNorm.
 *
 * Build: cc -O2 -shared -fPIC -I<normcheck>/impls/include example_plugin.c -o example_plugin.so
 * Use:   normcheck check --plugin ./example_plugin.so --kernel example.layernorm.f32
 *
 * Statistics are accumulated in double: fp32 values square without overflow or underflow in
 * double, and a constant row sums exactly, so x - mean is exactly 0 and y is exactly beta. */
#include <math.h>

#include "normcheck/kernel_abi.h"

static normcheck_status example_run(const normcheck_kernel *self, const normcheck_problem *p) {
  (void)self;
  if (p->rows < 0 || p->n < 1 || p->x == NULL || p->y == NULL) return NORMCHECK_ERROR;
  if (p->residual != NULL || p->residual_out != NULL) return NORMCHECK_UNSUPPORTED;
  if (!(p->eps >= 0.0) || isinf(p->eps)) return NORMCHECK_UNSUPPORTED;
  const float *gamma = (const float *)p->gamma, *beta = (const float *)p->beta;
  for (int64_t r = 0; r < p->rows; ++r) {
    const float *x = (const float *)p->x + r * p->n;
    float *y = (float *)p->y + r * p->n;
    double sum = 0.0, sum_sq = 0.0;
    for (int64_t i = 0; i < p->n; ++i) sum += x[i];
    const double mean = sum / (double)p->n;
    for (int64_t i = 0; i < p->n; ++i) sum_sq += (x[i] - mean) * (x[i] - mean);
    const double rstd = 1.0 / sqrt(sum_sq / (double)p->n + p->eps);
    for (int64_t i = 0; i < p->n; ++i) {
      double v = (x[i] - mean) * rstd;
      if (gamma != NULL) v *= gamma[i];
      if (beta != NULL) v += beta[i];
      y[i] = (float)v;
    }
  }
  return NORMCHECK_OK;
}

static const normcheck_kernel example_kernels[] = {
    {"example.layernorm.f32", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32,
     0u, NULL, example_run},
};

uint32_t normcheck_plugin_abi_version(void) { return NORMCHECK_ABI_VERSION; }

const normcheck_kernel *normcheck_plugin_kernels(size_t *count) {
  *count = sizeof example_kernels / sizeof example_kernels[0];
  return example_kernels;
}
