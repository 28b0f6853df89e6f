// The row-by-row backward engine: each built-in backward kernel and backward mutant is a
// Steps class it runs, as the forward kernels are over norm_engine.hpp.
//
// Per row, with g_i = gamma_i dy_i and xhat_i = (x_i - mean) rstd from the statistics the
// forward saved (f32, as PyTorch's kernels keep them):
//   dx_i = rstd (g_i - mean(g) - xhat_i mean(g xhat))      (RMSNorm: no mean(g), mean = 0)
// dgamma_j = sum_r dy_rj xhat_rj and dbeta_j = sum_r dy_rj are reduced as GPU kernels do:
// one partial sum per block of kBlockRows rows, then the blocks' partials summed in order.
// A Steps class derives from BackwardSteps<Self, T, Acc> (T: the elementwise compute type,
// Acc: the accumulators of the row sums and of the partials) and hides the step it changes.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "impls/kernels/row_io.hpp"
#include "normcheck/kernel_abi.h"

namespace normcheck::impls::backward {

template <class T>
struct RowStats {
  T mean = 0;  // 0 for RMSNorm
  T rstd = 0;
};

enum BufferSlot { kX, kDy, kDx, kXhat, kGamma, kBufferCount };

// Per-thread scratch, so the kernels allocate once and stay callable from several threads.
template <class T>
T* buffer(BufferSlot slot, int64_t n) {
  thread_local std::vector<T> buffers[kBufferCount];
  auto& b = buffers[slot];
  if (b.size() < static_cast<size_t>(n)) b.resize(static_cast<size_t>(n));
  return b.data();
}

// The row's statistics recomputed from x in Acc (corrected two-pass: the deviations' sum
// repairs the first mean), with the eps given; RMSNorm (centered false): mean 0, mean square.
template <class T, class Acc>
RowStats<T> recomputed_stats(const T* x, int64_t n, bool centered, double eps) {
  const auto count = static_cast<Acc>(n);
  Acc mean = 0;
  if (centered) {
    for (int64_t i = 0; i < n; ++i) mean += x[i];
    mean /= count;
  }
  Acc dev_sum = 0, sum_sq = 0;
  for (int64_t i = 0; i < n; ++i) {
    const Acc d = static_cast<Acc>(x[i]) - mean;
    dev_sum += d;
    sum_sq += d * d;
  }
  if (centered) mean += dev_sum / count;
  const Acc var = std::max(Acc(0), sum_sq - (centered ? dev_sum * dev_sum / count : Acc(0))) / count;
  return {static_cast<T>(mean), static_cast<T>(Acc(1) / std::sqrt(var + static_cast<Acc>(eps)))};
}

template <class Self, class TT, class AccT>
struct BackwardSteps {
  using T = TT;
  using Acc = AccT;
  static constexpr bool kCentered = true;   // LayerNorm; false: RMSNorm
  static constexpr int64_t kBlockRows = 32; // rows per partial sum of dgamma / dbeta

  // The statistics row r is normalized with: the forward's saved f32 mean and rstd.
  static RowStats<T> row_stats(const normcheck_backward_problem& p, int64_t r, const T* /*x*/, int64_t /*n*/) {
    return {Self::kCentered ? static_cast<T>(p.mean[r]) : T(0), static_cast<T>(p.rstd[r])};
  }

  // g_i = gamma_i dy_i, and g as the mean(g xhat) term uses it (the same).
  static T g(T gamma, T dy) { return gamma * dy; }
  static T g_in_dot(T gamma, T dy) { return Self::g(gamma, dy); }

  static T dx(T g, T mean_g, T xhat, T mean_gx, T rstd) {
    if constexpr (Self::kCentered) {
      return rstd * (g - mean_g - xhat * mean_gx);
    } else {
      return rstd * (g - xhat * mean_gx);
    }
  }

  // Sum of term(i) over [0, n): 8 lanes, combined pairwise (error grows with n / 8).
  template <class Term>
  static Acc row_sum(int64_t n, const Term& term) {
    constexpr int64_t kLanes = 8;
    Acc lanes[kLanes] = {};
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
      for (int64_t j = 0; j < kLanes; ++j) lanes[j] += term(i + j);
    }
    for (int64_t j = 0; i < n; ++i, ++j) lanes[j] += term(i);
    for (int64_t width = kLanes / 2; width >= 1; width /= 2) {
      for (int64_t j = 0; j < width; ++j) lanes[j] += lanes[j + width];
    }
    return lanes[0];
  }

  // Rounding of dgamma's running sums (a mutant keeps them in bf16).
  static Acc dgamma_round(Acc v) { return v; }
  // How many row blocks reach the parameter sums: all of them, the last partial one included.
  static int64_t row_blocks(int64_t rows) { return (rows + kBlockRows - 1) / kBlockRows; }
  // How many columns the parameter reduction covers.
  static int64_t reduced_columns(int64_t n) { return n; }

  // Column j's partials (partial[b * n + j] for each block b) summed over the blocks.
  template <class Round>
  static Acc combine_blocks(const Acc* partial, int64_t blocks, int64_t n, int64_t j, Round round) {
    Acc total = 0;
    for (int64_t b = 0; b < blocks; ++b) total = round(total + partial[b * n + j]);
    return total;
  }
};

template <class Steps>
void process_rows(const normcheck_backward_kernel& kernel, const normcheck_backward_problem& p) {
  using T = typename Steps::T;
  using Acc = typename Steps::Acc;
  const int64_t n = p.n;
  T* gamma = buffer<T>(kGamma, n);
  if (p.gamma) load_row(kernel.param_dtype, p.gamma, 0, n, gamma); else std::fill_n(gamma, n, T(1));
  T* x = buffer<T>(kX, n);
  T* dy = buffer<T>(kDy, n);
  T* dx = buffer<T>(kDx, n);
  T* xhat = buffer<T>(kXhat, n);
  bool gamma_finite = true;
  for (int64_t i = 0; i < n; ++i) gamma_finite = gamma_finite && std::isfinite(gamma[i]);
  const bool wants_params = p.dgamma != nullptr || p.dbeta != nullptr;
  const int64_t blocks = Steps::row_blocks(p.rows);
  std::vector<Acc> partial_gamma(wants_params ? static_cast<size_t>(blocks * n) : 0);
  std::vector<Acc> partial_beta(partial_gamma.size());
  const auto count = static_cast<Acc>(n);

  for (int64_t r = 0; r < p.rows; ++r) {
    const int64_t offset = r * n;
    load_row(kernel.x_dtype, p.x, offset, n, x);
    load_row(kernel.y_dtype, p.dy, offset, n, dy);
    const RowStats<T> s = Steps::row_stats(p, r, x, n);
    for (int64_t i = 0; i < n; ++i) xhat[i] = (x[i] - s.mean) * s.rstd;
    const Acc sum_g = Steps::row_sum(n, [&](int64_t i) { return static_cast<Acc>(Steps::g(gamma[i], dy[i])); });
    const Acc sum_gx = Steps::row_sum(n, [&](int64_t i) {
      return static_cast<Acc>(Steps::g_in_dot(gamma[i], dy[i])) * static_cast<Acc>(xhat[i]);
    });
    const auto mean_g = static_cast<T>(sum_g / count);
    const auto mean_gx = static_cast<T>(sum_gx / count);
    for (int64_t i = 0; i < n; ++i) dx[i] = Steps::dx(Steps::g(gamma[i], dy[i]), mean_g, xhat[i], mean_gx, s.rstd);
    // The forward rules (docs/oracle.md, "Special values"): a NaN or infinity in the row's x
    // or dy, or in gamma, makes the whole row's dx NaN (IEEE alone gives infinities in places).
    bool finite = gamma_finite;
    for (int64_t i = 0; i < n; ++i) finite = finite && std::isfinite(x[i]) && std::isfinite(dy[i]);
    if (!finite) std::fill_n(dx, n, std::numeric_limits<T>::quiet_NaN());
    store_row(kernel.x_dtype, dx, p.dx, offset, n);

    const int64_t block = r / Steps::kBlockRows;
    if (!wants_params || block >= blocks) continue;
    Acc* pg = partial_gamma.data() + block * n;
    Acc* pb = partial_beta.data() + block * n;
    for (int64_t j = 0; j < n; ++j) {
      pg[j] = Steps::dgamma_round(pg[j] + static_cast<Acc>(dy[j]) * static_cast<Acc>(xhat[j]));
      pb[j] += static_cast<Acc>(dy[j]);
    }
  }
  if (!wants_params) return;
  const int64_t columns = Steps::reduced_columns(n);
  std::vector<Acc> total(static_cast<size_t>(columns));
  const auto store = [&](void* out, const std::vector<Acc>& partial, auto round) {
    if (out == nullptr) return;
    for (int64_t j = 0; j < columns; ++j) {
      total[static_cast<size_t>(j)] = Steps::combine_blocks(partial.data(), blocks, n, j, round);
    }
    store_row(kernel.param_dtype, total.data(), out, 0, columns);
  };
  store(p.dgamma, partial_gamma, [](Acc v) { return Steps::dgamma_round(v); });
  store(p.dbeta, partial_beta, [](Acc v) { return v; });
}

// The ABI entry point of every backward engine kernel: validates the problem, then runs it.
template <class Steps>
normcheck_status run_kernel(const normcheck_backward_kernel* self, const normcheck_backward_problem* problem) noexcept {
  if (self == nullptr || problem == nullptr) return NORMCHECK_ERROR;
  const normcheck_backward_problem& p = *problem;
  if (p.rows < 0 || p.n < 1) return NORMCHECK_ERROR;
  if (p.rows > std::numeric_limits<int64_t>::max() / p.n) return NORMCHECK_ERROR;
  if (p.rows > 0 && (p.x == nullptr || p.dy == nullptr || p.dx == nullptr || p.rstd == nullptr)) {
    return NORMCHECK_ERROR;
  }
  if (p.rows > 0 && self->op == NORMCHECK_LAYERNORM && p.mean == nullptr) return NORMCHECK_ERROR;
  if (!(p.eps >= 0.0) || std::isinf(p.eps)) return NORMCHECK_UNSUPPORTED;
  try {
    process_rows<Steps>(*self, p);
  } catch (...) {  // allocation failure: no exception may cross the C ABI
    return NORMCHECK_ERROR;
  }
  return NORMCHECK_OK;
}

}  // namespace normcheck::impls::backward
