/* test_plugin.c: one plugin source, compiled once per PLUGIN_<VARIANT> into the loader tests'
 * good and broken plugins. The kernel is a plain fp32 LayerNorm (double accumulators). */
#include <math.h>

#include "normcheck/kernel_abi.h"

static normcheck_status run(const normcheck_kernel *self, const normcheck_problem *p) {
  (void)self;
  if (p->n < 1 || p->residual != NULL) return NORMCHECK_UNSUPPORTED;
  for (int64_t r = 0; r < p->rows; ++r) {
    const float *x = (const float *)p->x + r * p->n;
    float *y = (float *)p->y + r * p->n;
    double mean = 0.0, var = 0.0;
    for (int64_t i = 0; i < p->n; ++i) mean += x[i];
    mean /= (double)p->n;
    for (int64_t i = 0; i < p->n; ++i) var += (x[i] - mean) * (x[i] - mean);
    const double rstd = 1.0 / sqrt(var / (double)p->n + p->eps);
    for (int64_t i = 0; i < p->n; ++i) y[i] = (float)((x[i] - mean) * rstd);
  }
  return NORMCHECK_OK;
}

#define LN(name) {name, NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0u, NULL, run}

static const normcheck_kernel kernels[] = {
#if defined(PLUGIN_DUPLICATE_NAMES)
    LN("test.plugin.ln"), LN("test.plugin.ln"),
#elif defined(PLUGIN_BAD_NAME)
    LN("Test Plugin"),
#elif defined(PLUGIN_BAD_DTYPE)
    {"test.plugin.ln", NORMCHECK_LAYERNORM, NORMCHECK_F32, (normcheck_dtype)7, NORMCHECK_F32, 0u,
     NULL, run},
#elif defined(PLUGIN_BAD_OP)
    {"test.plugin.ln", (normcheck_op)0, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0u, NULL, run},
#elif defined(PLUGIN_NULL_RUN)
    LN("test.plugin.ln"),
    {"test.plugin.no-run", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0u, NULL,
     NULL},
#elif defined(PLUGIN_VERSION1_WITH_V2_FLAGS)
    {"test.plugin.ln", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32,
     NORMCHECK_THREAD_SAFE, NULL, run},
#elif defined(PLUGIN_DECLARES_COMPUTE)
    {"test.plugin.ln-f64", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32,
     NORMCHECK_THREAD_SAFE | NORMCHECK_COMPUTE(NORMCHECK_F64), NULL, run},
    LN("test.plugin.ln"),
#elif defined(PLUGIN_BAD_COMPUTE)
    {"test.plugin.ln", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32,
     NORMCHECK_COMPUTE(9), NULL, run},
#elif defined(PLUGIN_UNKNOWN_FLAGS)
    {"test.plugin.ln", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 1u << 20,
     NULL, run},
#elif defined(PLUGIN_CLASHES_WITH_BUILTIN)
    LN("layernorm.f32.two_pass"),
#elif defined(PLUGIN_FORWARD_CLASHES_WITH_BUILTIN_BACKWARD)
    LN("rmsnorm_backward.bf16"),
#else
    LN("test.plugin.ln"), LN("test.plugin.ln-2"),
#endif
};

uint32_t normcheck_plugin_abi_version(void) {
#if defined(PLUGIN_WRONG_VERSION)
  return NORMCHECK_ABI_VERSION + 1u;
#elif defined(PLUGIN_VERSION1) || defined(PLUGIN_VERSION1_WITH_V2_FLAGS) || defined(PLUGIN_VERSION1_WITH_BACKWARD)
  return 1u; /* built against the version-1 header: loads unchanged */
#else
  return NORMCHECK_ABI_VERSION;
#endif
}

#if defined(PLUGIN_MISSING_KERNELS_SYMBOL)
/* A misspelt entry point: the loader must name the symbol it could not find. */
const normcheck_kernel *normcheck_plugin_kernel_table(size_t *count);
const normcheck_kernel *normcheck_plugin_kernel_table(size_t *count) {
#else
const normcheck_kernel *normcheck_plugin_kernels(size_t *count) {
#endif
  *count = sizeof kernels / sizeof kernels[0];
  return kernels;
}

#if defined(PLUGIN_VERSION1_WITH_BACKWARD) || defined(PLUGIN_WITH_BACKWARD) || defined(PLUGIN_BACKWARD_BAD_NAME) || \
    defined(PLUGIN_BACKWARD_NULL_RUN) || defined(PLUGIN_BACKWARD_DUPLICATES_FORWARD) ||                     \
    defined(PLUGIN_BACKWARD_CLASHES_WITH_BUILTIN) || defined(PLUGIN_BACKWARD_BAD_FLAGS) ||                  \
    defined(PLUGIN_FORWARD_CLASHES_WITH_BUILTIN_BACKWARD)
/* A backward table: version 2 may export one (read and validated like the forward table);
 * version 1 has no backward pass. */
static normcheck_status backward(const normcheck_backward_kernel *self, const normcheck_backward_problem *p) {
  (void)self;
  (void)p;
  return NORMCHECK_UNSUPPORTED;
}

#define LN_BACKWARD(name) {name, NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0u, NULL, backward}

static const normcheck_backward_kernel backward_kernels[] = {
#if defined(PLUGIN_BACKWARD_BAD_NAME)
    LN_BACKWARD("Backward Kernel"),
#elif defined(PLUGIN_BACKWARD_NULL_RUN)
    LN_BACKWARD("test.plugin.ln-backward"),
    {"test.plugin.no-run-backward", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32, 0u, NULL, NULL},
#elif defined(PLUGIN_BACKWARD_DUPLICATES_FORWARD)
    LN_BACKWARD("test.plugin.ln-2"),
#elif defined(PLUGIN_BACKWARD_CLASHES_WITH_BUILTIN)
    LN_BACKWARD("layernorm_backward.f32"),
#elif defined(PLUGIN_BACKWARD_BAD_FLAGS)
    {"test.plugin.ln-backward", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32,
     NORMCHECK_WRITES_STATS, NULL, backward},
#elif defined(PLUGIN_FORWARD_CLASHES_WITH_BUILTIN_BACKWARD)
    LN_BACKWARD("test.plugin.ln-backward"),
#else
    {"test.plugin.ln-backward", NORMCHECK_LAYERNORM, NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_F32,
     NORMCHECK_THREAD_SAFE | NORMCHECK_COMPUTE(NORMCHECK_F64), NULL, backward},
    LN_BACKWARD("test.plugin.rms-backward"),
#endif
};

const normcheck_backward_kernel *normcheck_plugin_backward_kernels(size_t *count) {
  *count = sizeof backward_kernels / sizeof backward_kernels[0];
  return backward_kernels;
}
#endif
