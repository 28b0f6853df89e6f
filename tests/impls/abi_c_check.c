/* abi_c_check.c: the ABI header compiled as strict C11 (-Wall -Wextra -Werror -pedantic). */
#include "normcheck/kernel_abi.h"

static normcheck_status c_run(const normcheck_kernel *self, const normcheck_problem *problem) {
  (void)self;
  return problem->n > 0 ? NORMCHECK_OK : NORMCHECK_ERROR;
}

/* Called from C++ to prove the unit was compiled and links: a kernel built in C, run once. */
int normcheck_abi_c_check(void) {
  const normcheck_kernel kernel = {"c.check", NORMCHECK_LAYERNORM, NORMCHECK_F16, NORMCHECK_BF16,
                                   NORMCHECK_F32, NORMCHECK_FUSED_RESIDUAL, NULL, c_run};
  normcheck_problem problem = {0};
  problem.n = 1;
  return (int)kernel.run(&kernel, &problem) == (int)NORMCHECK_OK &&
         NORMCHECK_ABI_VERSION == 1u && sizeof(normcheck_problem) >= 2 * sizeof(int64_t);
}
