/* normcheck/kernel_abi.h — C ABI, version 2 (a version-1 plugin still loads unchanged) */
#ifndef NORMCHECK_KERNEL_ABI_H
#define NORMCHECK_KERNEL_ABI_H

#include <stddef.h>
#include <stdint.h>
#define NORMCHECK_ABI_VERSION 2u

#ifdef __cplusplus
extern "C" {
#endif

typedef enum normcheck_dtype { NORMCHECK_F16 = 1, NORMCHECK_BF16 = 2,
                               NORMCHECK_F32 = 3, NORMCHECK_F64 = 4 } normcheck_dtype;
typedef enum normcheck_op { NORMCHECK_LAYERNORM = 1, NORMCHECK_RMSNORM = 2 } normcheck_op;
typedef enum normcheck_status { NORMCHECK_OK = 0, NORMCHECK_UNSUPPORTED = 1,
                                NORMCHECK_ERROR = 2 } normcheck_status;

#define NORMCHECK_FUSED_RESIDUAL        (1u << 0) /* accepts residual / residual_out */
#define NORMCHECK_NORMALIZES_ROUNDED_SUM (1u << 1) /* normalizes RN_x(x + residual) */
#define NORMCHECK_WRITES_STATS          (1u << 2) /* fills mean / rstd when given */
#define NORMCHECK_THREAD_SAFE           (1u << 3) /* run may be called from several threads at once */
#define NORMCHECK_COMPUTE(dtype)        ((uint32_t)(dtype) << 8) /* declared compute precision */
#define NORMCHECK_COMPUTE_OF(flags)     ((normcheck_dtype)(((flags) >> 8) & 0xffu)) /* 0: f32 */

/* Threads: without NORMCHECK_THREAD_SAFE the harness never calls a kernel's run from two
 * threads at once (a kernel with static scratch buffers is correct as it is). With it, run
 * may be called concurrently on different problems.
 * Aliasing: no two buffers of a problem overlap (y is never x, residual_out is never
 * residual); every pointer is valid for exactly the elements the comments below give, and
 * the harness places guard bytes around each buffer to catch writes outside them.
 * Compute precision: a kernel with NORMCHECK_COMPUTE(NORMCHECK_F16) is judged at fp16's unit
 * roundoff; undeclared (0) means f32. */

typedef struct normcheck_problem {
  int64_t rows, n;          /* rows independent rows of n contiguous elements */
  double eps;
  const void *x;            /* rows*n of x_dtype, row-major */
  const void *residual;     /* NULL, or rows*n of x_dtype */
  const void *gamma;        /* NULL (= ones), or n of param_dtype */
  const void *beta;         /* NULL (= zeros), or n of param_dtype */
  void *y;                  /* rows*n of y_dtype */
  void *residual_out;       /* NULL, or rows*n of x_dtype */
  float *mean;              /* NULL, or rows */
  float *rstd;              /* NULL, or rows */
} normcheck_problem;

typedef struct normcheck_kernel {
  const char *name;         /* unique, [a-z0-9_.-]+ */
  normcheck_op op;
  normcheck_dtype x_dtype, param_dtype, y_dtype;
  uint32_t flags;
  void *context;            /* passed back to run */
  normcheck_status (*run)(const struct normcheck_kernel *self,
                          const normcheck_problem *problem);
} normcheck_kernel;

/* Backward pass of LayerNorm / RMSNorm (ABI version 2). */
typedef struct normcheck_backward_problem {
  int64_t rows, n;
  double eps;
  const void *x;            /* rows*n of x_dtype: the input the forward normalized (fused: z) */
  const void *dy;           /* rows*n of y_dtype: the gradient of the forward output */
  const void *gamma;        /* NULL (= ones), or n of param_dtype */
  const float *mean;        /* rows: the forward's mean, correctly rounded to f32 (RMSNorm: NULL) */
  const float *rstd;        /* rows: the forward's rstd, correctly rounded to f32 */
  void *dx;                 /* rows*n of x_dtype */
  void *dgamma;             /* NULL, or n of param_dtype: sum over rows of dy * xhat */
  void *dbeta;              /* NULL, or n of param_dtype: sum over rows of dy */
} normcheck_backward_problem;

typedef struct normcheck_backward_kernel {
  const char *name;         /* unique among all kernels, [a-z0-9_.-]+ */
  normcheck_op op;
  normcheck_dtype x_dtype, param_dtype, y_dtype;   /* y_dtype is dy's */
  uint32_t flags;           /* NORMCHECK_THREAD_SAFE, NORMCHECK_COMPUTE(...) */
  void *context;
  normcheck_status (*run)(const struct normcheck_backward_kernel *self,
                          const normcheck_backward_problem *problem);
} normcheck_backward_kernel;

/* A plugin is a shared library exporting these two symbols ... */
uint32_t normcheck_plugin_abi_version(void);
const normcheck_kernel *normcheck_plugin_kernels(size_t *count);   /* count may be 0 */
/* ... and, from version 2, optionally this one. */
const normcheck_backward_kernel *normcheck_plugin_backward_kernels(size_t *count);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NORMCHECK_KERNEL_ABI_H */
