/* normcheck/kernel_abi.h — C ABI, version 1 */
#ifndef NORMCHECK_KERNEL_ABI_H
#define NORMCHECK_KERNEL_ABI_H

#include <stddef.h>
#include <stdint.h>
#define NORMCHECK_ABI_VERSION 1u

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

/* A plugin is a shared library exporting these two symbols. */
uint32_t normcheck_plugin_abi_version(void);
const normcheck_kernel *normcheck_plugin_kernels(size_t *count);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NORMCHECK_KERNEL_ABI_H */
