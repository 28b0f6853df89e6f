// Test-side tools for the backward kernels: a long double reference of the tests' own (never
// reference/: kernels and their tests share no code with the oracle), typed buffers, and the
// tolerance check, as kernel_test_support.hpp has them for the forward kernels.
#pragma once
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "impls/registry.hpp"
#include "normcheck/kernel_abi.h"

namespace normcheck::impls::testing {

// A backward problem in real numbers; every value must already be representable in its dtype.
struct BackwardCase {
  int64_t rows = 1, n = 1;
  double eps = 0x1.4f8b58p-17;  // 1e-5 rounded to fp32
  std::vector<long double> x, dy, gamma;  // empty gamma = ones
};

struct BackwardOutputs {
  normcheck_status status = NORMCHECK_ERROR;
  std::vector<long double> dx, dgamma, dbeta;  // dgamma / dbeta empty when not asked for
};

struct BackwardReference {
  std::vector<long double> mean, rstd;  // per row, exact statistics (RMSNorm: mean 0)
  std::vector<long double> dx, dgamma, dbeta;
  // The magnitude of the terms that meet in each output (docs/oracle.md's error terms):
  // dx_i: rstd (|g_i| + mean|g| + (|xhat_i| + rstd |mean|) mean|g xhat|), the rstd |mean|
  // term for the f32 rounding of the saved mean; dgamma_j: sum_r |dy_rj| (|xhat_rj| +
  // rstd_r |mean_r|); dbeta_j: sum_r |dy_rj|.
  std::vector<long double> dx_scale, dgamma_scale, dbeta_scale;
};

// Plain two-pass statistics and the gradients, all in long double.
BackwardReference backward_reference(normcheck_op op, const BackwardCase& c);

// Encodes the case in the kernel's dtypes, hands it the reference's mean / rstd rounded to
// f32 (mean NULL for RMSNorm), runs it and decodes dx and, when params, dgamma and dbeta
// (whose buffers start as NaN, so an element the kernel leaves unwritten shows).
BackwardOutputs run_backward_kernel(const normcheck_backward_kernel& kernel, const BackwardCase& c,
                                    bool params = true);

// Empty when every output is within |err| <= ulp_out(ref) + k * u_compute * scale; otherwise the
// first mismatch, described. worst_ratio gets the largest error beyond one output ulp, in
// units of u_compute * scale.
std::optional<std::string> first_backward_mismatch(const BackwardKernelInfo& info, const BackwardCase& c, double k,
                                                   double* worst_ratio = nullptr);

// Random x and dy (N(mean, spread), N(0, 1)) and gamma (N(1, 0.5)) in the kernel's dtypes.
BackwardCase random_backward_case(const normcheck_backward_kernel& kernel, std::mt19937_64& rng, int64_t rows,
                                  int64_t n, long double mean = 0, long double spread = 1);

}  // namespace normcheck::impls::testing
