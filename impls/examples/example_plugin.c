/* example_plugin.c: a complete normcheck plugin in one C file, an fp32 LayerNorm and its
 * backward pass (ABI version 2).
 *
 * Build: cc -O2 -shared -fPIC -I<normcheck>/impls/include example_plugin.c -o example_plugin.so
 * Use:   normcheck check --plugin ./example_plugin.so --kernel example.layernorm.f32
 *        normcheck list --plugin ./example_plugin.so   (shows both kernels)
 *
 * Statistics are accumulated in double: fp32 values square without overflow or underflow in
 * double, and a constant row sums exactly, so x - mean is exactly 0 and y is exactly beta. */
#include <math.h>
#include <stdlib.h>

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

/* The backward pass: with g = gamma * dy and xhat = (x - mean) * rstd from the forward's
 * saved statistics, dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), dgamma = sum over
 * rows of dy * xhat, dbeta = sum over rows of dy. Everything is computed in double and
 * rounded to float once. */
static normcheck_status example_backward_run(const normcheck_backward_kernel *self,
                                             const normcheck_backward_problem *p) {
  (void)self;
  if (p->rows < 0 || p->n < 1) return NORMCHECK_ERROR;
  if (p->rows > 0 && (p->x == NULL || p->dy == NULL || p->dx == NULL || p->mean == NULL || p->rstd == NULL)) {
    return NORMCHECK_ERROR;
  }
  const float *gamma = (const float *)p->gamma;
  float *dgamma = (float *)p->dgamma, *dbeta = (float *)p->dbeta;
  /* Column sums in double, rounded to float at the end: the row loop writes only dx. */
  double *sum_gamma = calloc((size_t)p->n, sizeof(double));
  double *sum_beta = calloc((size_t)p->n, sizeof(double));
  if (sum_gamma == NULL || sum_beta == NULL) {
    free(sum_gamma);
    free(sum_beta);
    return NORMCHECK_ERROR;
  }
  for (int64_t r = 0; r < p->rows; ++r) {
    const float *x = (const float *)p->x + r * p->n;
    const float *dy = (const float *)p->dy + r * p->n;
    float *dx = (float *)p->dx + r * p->n;
    const double mean = p->mean[r], rstd = p->rstd[r];
    double sum_g = 0.0, sum_gx = 0.0;
    for (int64_t i = 0; i < p->n; ++i) {
      const double g = (gamma != NULL ? gamma[i] : 1.0) * dy[i];
      sum_g += g;
      sum_gx += g * (x[i] - mean) * rstd;
    }
    const double mean_g = sum_g / (double)p->n, mean_gx = sum_gx / (double)p->n;
    for (int64_t i = 0; i < p->n; ++i) {
      const double g = (gamma != NULL ? gamma[i] : 1.0) * dy[i];
      const double xhat = (x[i] - mean) * rstd;
      dx[i] = (float)(rstd * (g - mean_g - xhat * mean_gx));
      sum_gamma[i] += dy[i] * xhat;
      sum_beta[i] += dy[i];
    }
  }
  for (int64_t i = 0; i < p->n; ++i) {
    if (dgamma != NULL) dgamma[i] = (float)sum_gamma[i];
    if (dbeta != NULL) dbeta[i] = (float)sum_beta[i];
  }
  free(sum_gamma);
  free(sum_beta);
  return NORMCHECK_OK;
}

static const normcheck_backward_kernel example_backward_kernels[] = {
    {"example.layernorm_backward.f32", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32,
     NORMCHECK_THREAD_SAFE, NULL, example_backward_run},
};

const normcheck_backward_kernel *normcheck_plugin_backward_kernels(size_t *count) {
  *count = sizeof example_backward_kernels / sizeof example_backward_kernels[0];
  return example_backward_kernels;
}
