// The row-by-row normalization engine: each built-in kernel and mutant is a Steps class it runs.
//
// A Steps class derives from NormSteps<Self, T> (T = float or double, the compute type) and
// hides any step it does differently. Mutants hide exactly one step of a correct kernel, so
// the seeded bug is the only difference, visible in a few lines.
#pragma once
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "impls/kernels/row_io.hpp"
#include "normcheck/kernel_abi.h"

namespace normcheck::impls::engine {

template <class T>
struct Moments {
  const T* data = nullptr;  // the row the statistics describe (a scaled copy when data_exp != 0)
  T mean = 0;               // of data; 0 for RMSNorm
  T var = 0;                // biased variance of data (deviations times 2^dev_exp); RMSNorm: mean square
  int data_exp = 0;         // data = row * 2^data_exp
  int dev_exp = 0;          // deviations were multiplied by 2^dev_exp before squaring
  bool finite = true;       // false: a NaN or inf in the row, whose outputs are then all NaN
};

template <class T>
struct RowRange {
  T lo = 0, hi = 0;
  bool finite = true;
};

enum ScratchSlot { kRowSlot, kResidualSlot, kScaledSlot, kDeviationSlot, kOutSlot, kGammaSlot,
                   kBetaSlot, kSlotCount };

// Per-thread scratch rows, so kernels allocate once and stay callable from several threads.
template <class T>
T* scratch(ScratchSlot slot, int64_t n) {
  thread_local std::vector<T> buffers[kSlotCount];
  auto& buffer = buffers[slot];
  if (buffer.size() < static_cast<size_t>(n)) buffer.resize(static_cast<size_t>(n));
  return buffer.data();
}

template <class T>
constexpr normcheck_dtype compute_dtype() {
  return sizeof(T) == sizeof(float) ? NORMCHECK_F32 : NORMCHECK_F64;
}

// Min, max and whether every element is finite (x * 0 is 0 for finite x, NaN otherwise).
template <class T>
RowRange<T> scan_range(const T* p, int64_t n) {
  constexpr int kLanes = 8;
  T lo[kLanes], hi[kLanes], probe[kLanes];
  for (int j = 0; j < kLanes; ++j) lo[j] = hi[j] = p[0], probe[j] = 0;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) {
      const T v = p[i + j];
      lo[j] = v < lo[j] ? v : lo[j];
      hi[j] = v > hi[j] ? v : hi[j];
      probe[j] += v * T(0);
    }
  }
  for (; i < n; ++i) {
    lo[0] = p[i] < lo[0] ? p[i] : lo[0];
    hi[0] = p[i] > hi[0] ? p[i] : hi[0];
    probe[0] += p[i] * T(0);
  }
  RowRange<T> range{lo[0], hi[0], true};
  for (int j = 0; j < kLanes; ++j) {
    range.lo = std::min(range.lo, lo[j]);
    range.hi = std::max(range.hi, hi[j]);
    range.finite = range.finite && probe[j] == 0;
  }
  return range;
}

// 2^k exactly, from its bit pattern where it is a normal T (a kernel scales every row that
// is far from 1 by a power of two, and ldexp is a library call each time).
template <class T>
T pow2(int k) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    using Bits = std::conditional_t<std::is_same_v<T, float>, uint32_t, uint64_t>;
    constexpr int kMinExp = std::numeric_limits<T>::min_exponent - 1;  // of the smallest normal
    constexpr int kMaxExp = std::numeric_limits<T>::max_exponent - 1;
    // One unsigned comparison for the range (the fuzz build traces each comparison).
    if (static_cast<unsigned>(k - kMinExp) > static_cast<unsigned>(kMaxExp - kMinExp)) return std::ldexp(T(1), k);
    return std::bit_cast<T>(static_cast<Bits>(k - kMinExp + 1) << (std::numeric_limits<T>::digits - 1));
  } else {
    if (static_cast<unsigned>(k + 1022) > 2045u) return std::ldexp(T(1), k);
    return static_cast<T>(pow2<double>(k));  // exact: the long double holds every double
  }
}

// v * 2^k, one rounding at most (two exact factors when 2^k itself overflows T).
template <class T>
T times_pow2(T v, int k) {
  if (k == 0) return v;
  if (k < std::numeric_limits<T>::max_exponent - 1) return v * pow2<T>(k);
  return v * pow2<T>(k / 2) * pow2<T>(k - k / 2);
}

template <class T>
const T* scaled_copy(const T* p, int64_t n, int k) {
  T* out = scratch<T>(kScaledSlot, n);
  if (k < std::numeric_limits<T>::max_exponent - 1) {
    const T factor = pow2<T>(k);
    for (int64_t i = 0; i < n; ++i) out[i] = p[i] * factor;
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = times_pow2(p[i], k);
  }
  return out;
}

// floor(log2 |v|) of a finite nonzero v: ilogb, read from the bits where v is normal.
template <class T>
int exponent_of(T v) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    using Bits = std::conditional_t<std::is_same_v<T, float>, uint32_t, uint64_t>;
    constexpr int kFractionBits = std::numeric_limits<T>::digits - 1;
    constexpr int kBias = std::numeric_limits<T>::max_exponent - 1;
    const auto field = static_cast<int>((std::bit_cast<Bits>(v) >> kFractionBits) &
                                        ((Bits{1} << (sizeof(T) * 8 - 1 - kFractionBits)) - 1));
    if (field != 0) return field - kBias;
  }
  return std::ilogb(v);
}

template <class Self, class TT>
struct NormSteps {
  using T = TT;
  static constexpr bool kCentered = true;               // LayerNorm; false: RMSNorm
  static constexpr bool kNormalizesRoundedSum = false;  // fused kernels: normalize RN_x(x + r)

  // Rounding to the compute format after each operation (identity unless emulating fp16).
  static T round(T v) { return v; }
  // Largest finite value of the compute format.
  static T max_finite() { return std::numeric_limits<T>::max(); }
  // Rounding of the running sums (a mutant accumulates in a narrower format).
  static T acc_round(T v) { return Self::round(v); }

  // Power-of-two exponent that brings the row's largest magnitude into a range where sums of
  // squares can neither overflow nor lose the row to underflow; 0 when it is there already.
  // Tiny rows are scaled up to max |x| ~ 1 (exact). Huge rows are scaled down only to the top
  // of the safe range, max |x| ~ 2^kSafe: the row is normalized from this copy, and elements
  // that turn subnormal in it lose bits. With max ~ 2^kSafe those are below 2^-kSafe of the
  // largest deviation, so their lost bits times rstd (<= sqrt(n) / 2^(kSafe-1)) stay far below
  // the output's smallest ulp; scaled to ~1 they cost an output near the underflow up to 16 ulps.
  static int scale_exponent(T maxabs, int64_t /*n*/) {
    constexpr int kSafe = std::numeric_limits<T>::max_exponent / 4;
    if (maxabs == 0) return 0;
    const int e = exponent_of(maxabs);
    if (e > kSafe) return kSafe - e;
    return e < -kSafe ? -e : 0;
  }

  // Cascade summation: 8 running sums over blocks of 128, blocks added pairwise, so the error
  // grows with log2(n) rather than n.
  template <class Term>
  static T pairwise_sum(int64_t begin, int64_t end, const Term& term) {
    constexpr int64_t kLanes = 8, kBlock = 128;
    if (end - begin > kBlock) {
      const int64_t half = (end - begin) / 2 / kLanes * kLanes;
      return Self::acc_round(Self::pairwise_sum(begin, begin + half, term) +
                             Self::pairwise_sum(begin + half, end, term));
    }
    T acc[kLanes] = {};
    int64_t i = begin;
    for (; i + kLanes <= end; i += kLanes) {
      for (int64_t j = 0; j < kLanes; ++j) acc[j] = Self::acc_round(acc[j] + term(i + j));
    }
    T tail = 0;
    for (; i < end; ++i) tail = Self::acc_round(tail + term(i));
    for (int64_t width = kLanes / 2; width >= 1; width /= 2) {
      for (int64_t j = 0; j < width; ++j) acc[j] = Self::acc_round(acc[j] + acc[j + width]);
    }
    return Self::acc_round(acc[0] + tail);
  }

  // The row length as the statistics divide by it (a mutant keeps it in a narrower format).
  static T row_count(int64_t n) { return static_cast<T>(n); }
  static T variance_divisor(int64_t n) { return Self::row_count(n); }

  // Mean and variance of the (already scaled) row x, whose values lie in [lo, hi].
  static void statistics(const T* x, int64_t n, T lo, T hi, Moments<T>& m) {
    const T count = Self::row_count(n);
    if constexpr (!Self::kCentered) {
      const T sum_sq = Self::pairwise_sum(0, n, [x](int64_t i) { return Self::round(x[i] * x[i]); });
      m.var = Self::round(sum_sq / count);
      return;
    }
    // The true mean lies in [lo, hi]; clamping keeps it there and makes constant rows exact.
    const T first_mean = std::clamp(
        Self::round(Self::pairwise_sum(0, n, [x](int64_t i) { return x[i]; }) / count), lo, hi);
    // Corrected two-pass (Chan, Golub & LeVeque): the deviations' sum repairs the first mean.
    const T dev_sum = Self::pairwise_sum(
        0, n, [x, first_mean](int64_t i) { return Self::round(x[i] - first_mean); });
    const T sum_sq = Self::pairwise_sum(0, n, [x, first_mean](int64_t i) {
      const T d = Self::round(x[i] - first_mean);
      return Self::round(d * d);
    });
    m.mean = std::clamp(Self::round(first_mean + Self::round(dev_sum / count)), lo, hi);
    const T correction = Self::round(Self::round(dev_sum * dev_sum) / count);
    m.var = Self::round(std::max(T(0), Self::round(sum_sq - correction)) / Self::variance_divisor(n));
  }

  // The statistics row `row` of the batch is normalized with: its own. A batched kernel
  // whose row tiling goes wrong hands a row another row's; mutants model that here.
  static void statistics_for_row(int64_t /*row*/, Moments<T>& /*m*/) {}

  static Moments<T> moments(const T* p, int64_t n) {
    Moments<T> m;
    const RowRange<T> range = scan_range(p, n);
    if (!range.finite) {
      m.finite = false;
      return m;
    }
    m.data = p;
    m.data_exp = Self::scale_exponent(std::max(-range.lo, range.hi), n);
    T lo = range.lo, hi = range.hi;
    if (m.data_exp != 0) {
      m.data = scaled_copy(p, n, m.data_exp);
      lo = times_pow2(lo, m.data_exp);
      hi = times_pow2(hi, m.data_exp);
    }
    Self::statistics(m.data, n, lo, hi, m);
    return m;
  }

  // eps as the kernel uses it (exact by default).
  static double effective_eps(double eps) { return eps; }

  // 1/sqrt(var + eps) of the scaled row: var and eps both carry the factor 4^scale_exp.
  static long double rstd(long double var, double eps, int scale_exp) {
    return 1.0L / std::sqrt(var + times_pow2(static_cast<long double>(eps), 2 * scale_exp));
  }
  // The rstd written to problem->rstd (still scaled; the engine unscales it).
  static long double saved_rstd(long double var, double eps, int scale_exp) {
    return Self::rstd(var, eps, scale_exp);
  }

  // The scaled rstd as normalize() multiplies by it: rounded to the compute format. fp16
  // emulation overrides it, since eps * 4^scale_exp can put the scaled rstd below fp16's range.
  static T rstd_operand(long double rstd_scaled) { return Self::round(static_cast<T>(rstd_scaled)); }

  static void prepare_gamma(T* /*gamma*/, int64_t /*n*/) {}

  // t * gamma + beta. When the product overflows though the exact one is finite (a huge
  // gamma, then a beta of the other sign or an infinite beta), the rare element is redone
  // with one fused rounding; the common path stays a plain multiply-add that vectorizes
  // without FMA.
  static T affine(T t, T gamma, T beta) {
    const T y = Self::round(Self::round(t * gamma) + beta);
    if (!std::isfinite(y) && std::isfinite(t) && std::isfinite(gamma)) {
      return Self::round(std::fma(t, gamma, beta));
    }
    return y;
  }

  static void normalize(const T* x, int64_t n, T mean, T dev_scale, T rstd, const T* gamma,
                        const T* beta, T* out) {
    if (dev_scale == T(1)) {
      for (int64_t i = 0; i < n; ++i) {
        out[i] = Self::affine(Self::round(Self::round(x[i] - mean) * rstd), gamma[i], beta[i]);
      }
      return;
    }
    for (int64_t i = 0; i < n; ++i) {
      const T d = Self::round(Self::round(x[i] - mean) * dev_scale);
      out[i] = Self::affine(Self::round(d * rstd), gamma[i], beta[i]);
    }
  }

  static void store_residual_out(normcheck_dtype dtype, const T* sum, void* base, int64_t offset,
                                 int64_t n) {
    store_row(dtype, sum, base, offset, n);
  }

  // The output row converted to y's dtype (round to nearest even) when that is not the
  // compute type; a rounding mutant truncates here instead.
  static void store_output(normcheck_dtype dtype, const T* out, void* base, int64_t offset, int64_t n) {
    store_row(dtype, out, base, offset, n);
  }
};

template <class Steps>
void process_rows(const normcheck_kernel& kernel, const normcheck_problem& p) {
  using T = typename Steps::T;
  const int64_t n = p.n;
  T* gamma = scratch<T>(kGammaSlot, n);
  T* beta = scratch<T>(kBetaSlot, n);
  if (p.gamma) load_row(kernel.param_dtype, p.gamma, 0, n, gamma); else std::fill_n(gamma, n, T(1));
  if (p.beta) load_row(kernel.param_dtype, p.beta, 0, n, beta); else std::fill_n(beta, n, T(0));
  Steps::prepare_gamma(gamma, n);
  const bool writes_stats = (kernel.flags & NORMCHECK_WRITES_STATS) != 0;
  const bool direct_in = kernel.x_dtype == compute_dtype<T>() && p.residual == nullptr;
  const bool direct_out = kernel.y_dtype == compute_dtype<T>();

  for (int64_t r = 0; r < p.rows; ++r) {
    const int64_t offset = r * n;
    int sum_exp = 0;  // the row normalized is (x + residual) * 2^sum_exp
    const T* row = static_cast<const T*>(p.x) + offset;
    if (!direct_in) {
      T* z = scratch<T>(kRowSlot, n);
      load_row(kernel.x_dtype, p.x, offset, n, z);
      if (p.residual) {
        T* residual = scratch<T>(kResidualSlot, n);
        load_row(kernel.x_dtype, p.residual, offset, n, residual);
        bool overflowed = false;
        for (int64_t i = 0; i < n; ++i) {
          const T sum = Steps::round(z[i] + residual[i]);
          overflowed = overflowed || (std::isinf(sum) && std::isfinite(z[i]) && std::isfinite(residual[i]));
          z[i] = sum;
        }
        if (p.residual_out) Steps::store_residual_out(kernel.x_dtype, z, p.residual_out, offset, n);
        if constexpr (Steps::kNormalizesRoundedSum) {
          round_row_to(kernel.x_dtype, z, n);
        } else if (overflowed) {
          // The exact sum is finite but its compute-precision rounding is not: halve both
          // addends (exact) and carry the factor as the row's scale.
          load_row(kernel.x_dtype, p.x, offset, n, z);
          for (int64_t i = 0; i < n; ++i) z[i] = Steps::round(z[i] * T(0.5) + residual[i] * T(0.5));
          sum_exp = -1;
        }
      }
      row = z;
    }
    if (p.residual_out && !p.residual) store_row(kernel.x_dtype, row, p.residual_out, offset, n);

    T* out = direct_out ? static_cast<T*>(p.y) + offset : scratch<T>(kOutSlot, n);
    Moments<T> m = Steps::moments(row, n);
    Steps::statistics_for_row(r, m);
    m.data_exp += sum_exp;
    if (!m.finite) {
      std::fill_n(out, n, std::numeric_limits<T>::quiet_NaN());
      if (writes_stats && p.mean) p.mean[r] = std::numeric_limits<float>::quiet_NaN();
      if (writes_stats && p.rstd) p.rstd[r] = std::numeric_limits<float>::quiet_NaN();
    } else {
      const int scale_exp = m.data_exp + m.dev_exp;
      const double eps = Steps::effective_eps(p.eps);
      // In the scaled domain a constant row's rstd can exceed T's range though the true rstd
      // does not; only d = 0 meets such an rstd (otherwise var >= d^2/n bounds it), so the
      // largest finite value gives the same exact beta. var + eps = 0 keeps inf (NaN output).
      long double rstd_scaled = Steps::rstd(m.var, eps, scale_exp);
      if (std::isfinite(rstd_scaled)) rstd_scaled = std::min<long double>(rstd_scaled, Steps::max_finite());
      const T rstd = Steps::rstd_operand(rstd_scaled);
      const T dev_scale = times_pow2(T(1), m.dev_exp);
      Steps::normalize(m.data, n, m.mean, dev_scale, rstd, gamma, beta, out);
      if (writes_stats && p.mean) {
        p.mean[r] = static_cast<float>(times_pow2(static_cast<long double>(m.mean), -m.data_exp));
      }
      if (writes_stats && p.rstd) {
        p.rstd[r] = static_cast<float>(times_pow2(Steps::saved_rstd(m.var, eps, scale_exp), scale_exp));
      }
    }
    if (!direct_out) Steps::store_output(kernel.y_dtype, out, p.y, offset, n);
  }
}

// The ABI entry point of every engine kernel: validates the problem, then runs the rows.
template <class Steps>
normcheck_status run_kernel(const normcheck_kernel* self, const normcheck_problem* problem) noexcept {
  if (self == nullptr || problem == nullptr) return NORMCHECK_ERROR;
  const normcheck_problem& p = *problem;
  if (p.rows < 0 || p.n < 1 || p.x == nullptr || p.y == nullptr) return NORMCHECK_ERROR;
  if (p.rows > std::numeric_limits<int64_t>::max() / p.n) return NORMCHECK_ERROR;
  if (!(p.eps >= 0.0) || std::isinf(p.eps)) return NORMCHECK_UNSUPPORTED;
  const bool fused = (self->flags & NORMCHECK_FUSED_RESIDUAL) != 0;
  if (!fused && (p.residual != nullptr || p.residual_out != nullptr)) return NORMCHECK_UNSUPPORTED;
  try {
    process_rows<Steps>(*self, p);
  } catch (...) {  // allocation failure: no exception may cross the C ABI
    return NORMCHECK_ERROR;
  }
  return NORMCHECK_OK;
}

}  // namespace normcheck::impls::engine
