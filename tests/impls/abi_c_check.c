/* abi_c_check.c: the ABI header compiled as strict C11 (-Wall -Wextra -Werror -pedantic). */
#include "normcheck/kernel_abi.h"

static normcheck_status c_run(const normcheck_kernel *self, const normcheck_problem *problem) {
  (void)self;
  return problem->n > 0 ? NORMCHECK_OK : NORMCHECK_ERROR;
}

static normcheck_status c_backward(const normcheck_backward_kernel *self, const normcheck_backward_problem *problem) {
  (void)self;
  return problem->n > 0 ? NORMCHECK_OK : NORMCHECK_ERROR;
}

/* Called from C++ to prove the unit was compiled and links: a kernel built in C, run once. */
int normcheck_abi_c_check(void) {
  const normcheck_kernel kernel = {"c.check", NORMCHECK_LAYERNORM, NORMCHECK_F16, NORMCHECK_BF16,
                                   NORMCHECK_F32, NORMCHECK_FUSED_RESIDUAL, NULL, c_run};
  const normcheck_backward_kernel backward = {"c.check.backward", NORMCHECK_RMSNORM, NORMCHECK_BF16, NORMCHECK_F32,
                                             NORMCHECK_BF16, NORMCHECK_THREAD_SAFE | NORMCHECK_COMPUTE(NORMCHECK_F16),
                                             NULL, c_backward};
  normcheck_problem problem = {0};
  normcheck_backward_problem backward_problem = {0};
  problem.n = 1;
  backward_problem.n = 1;
  return (int)kernel.run(&kernel, &problem) == (int)NORMCHECK_OK &&
         (int)backward.run(&backward, &backward_problem) == (int)NORMCHECK_OK &&
         NORMCHECK_COMPUTE_OF(backward.flags) == NORMCHECK_F16 && NORMCHECK_COMPUTE_OF(kernel.flags) == 0 &&
         NORMCHECK_ABI_VERSION == 2u && sizeof(normcheck_problem) >= 2 * sizeof(int64_t);
}
