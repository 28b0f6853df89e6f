// The scales of the backward error score (docs/error-measures.md, "The backward pass"):
// for each gradient output, the magnitude of the terms that meet in it, so that an output
// computed with relative error u in each term scores about 1 whatever cancels.
//
// With g_j = gamma_j dy_j, xhat_j = (x_j - mean) rstd and, for the error xhat carries,
// A_j = (|x_j| + mean(|x|) + lambda_f32) rstd (RMSNorm: |x_j| rstd), over a row of n (lambda_f32:
// the saved mean's absolute error below f32's normal range, divided by u_s):
//   dx_i:     T_i = rstd (|g_i| + mean|g| + A_i mean(|g| |xhat|) + |xhat_i| mean(|g| A))
//   dgamma_j: T_j = sum over rows of |dy_rj| A_rj
//   dbeta_j:  T_j = sum over rows of |dy_rj|
// The score of an output is |got - exact| / (ulp(RN(exact)) + u_c (T + U) + u_s S), where U
// is the underflow part (lambda_c per term that can underflow) and S = T for dx and dgamma,
// 0 for dbeta: the kernel is handed mean and rstd rounded to f32 (u_s = 2^-24), and xhat
// computed from them is off by up to u_s A_j, whatever the kernel's own precision (for dx,
// S adds the second-order term of the saved mean: backward_scales).
#pragma once

#include <cstdint>
#include <vector>

#include "reference/backward_problem.hpp"
#include "reference/format.hpp"

namespace normcheck::harness {

struct BackwardScales {
  std::vector<long double> dx;      // rows * n: T_i
  std::vector<long double> dx_saved;  // rows * n: S_i, T_i plus the second-order term of the saved mean
  std::vector<long double> dx_underflow;  // rows * n: U_i
  std::vector<long double> dgamma;  // n
  std::vector<long double> dbeta;   // n
  long double dgamma_underflow = 0;  // U of every dgamma / dbeta output: one lambda_c per row
};

// mean and rstd: the forward's exact statistics per row (the forward oracle's, rounded to
// f64: a scale needs no more, once |x - mean| is widened by the mean's rounding). Non-finite rows give non-finite scales, never used: their
// outputs are judged as special values.
// saved_mean: the f32 mean the kernel is handed (empty for RMSNorm). With c = (mean' - mean)
// rstd the kernel's xhat is xhat + c, and dx' - dx = -rstd (c mean(g xhat) + c xhat_i mean(g)
// + c^2 mean(g)): the first two are within u_s T, the last is not when |c| is not small (an
// f64 row, whose elements need not lie near any f32 value), so S_i adds rstd c^2 mean|g| / u_s.
BackwardScales backward_scales(const ref::BackwardProblem& problem, ref::Format compute,
                               const std::vector<double>& mean, const std::vector<double>& rstd,
                               const std::vector<double>& saved_mean);

// The unit roundoff of the saved statistics the ABI hands a backward kernel (f32).
inline constexpr double kSavedStatisticsRoundoff = 0x1p-24;

// |got - exact| / (unit + u_c (scale + underflow) + u_s stats_scale), unit = ulp(RN(exact)).
double backward_score(double unit, double got, double exact, long double scale, long double underflow,
                      long double stats_scale, double compute_roundoff);

}  // namespace normcheck::harness
