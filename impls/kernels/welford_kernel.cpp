// fp32 LayerNorm with single-pass Welford statistics, vectorized for AVX-512 / AVX2 at run time.
//
// Each SIMD lane runs Welford's update over its strided share of the row; the lanes are then
// merged pairwise with Chan's parallel formula and the scalar tail continues the recurrence.
//
// The recurrence runs in fp64 lanes (fp32 data widened on load), as production single-pass
// kernels do when they must stay accurate on rows with a large mean: Welford's relative
// variance error grows like u * |mean| / std (Chan, Golub & LeVeque 1983) because every
// delta carries the running mean's rounding error, and with u = 2^-53 that stays far below
// fp32's own rounding for |mean| / std up to about 1e8. fp64 also holds the squares of every
// fp32 value, so no scaling pass is needed for the statistics.
#include <immintrin.h>

#include <cmath>

#include "impls/kernels/kernel_sets.hpp"
#include "impls/kernels/norm_engine.hpp"

namespace normcheck::impls {
namespace {

constexpr int kMaxLanes = 16;

struct LaneStats {
  int lanes = 0;
  int64_t per_lane = 0;  // elements each lane has seen
  double mean[kMaxLanes] = {};
  double m2[kMaxLanes] = {};
  float maxabs = 0;
  bool finite = true;
};

// Lane j of a 16-wide step holds element j: two 8-wide fp64 halves.
__attribute__((target("avx512f"))) void lanes_avx512(const float* p, int64_t n, LaneStats& s) {
  s.lanes = 16;
  s.per_lane = n / 16;
  __m512d mean_lo = _mm512_setzero_pd(), mean_hi = _mm512_setzero_pd();
  __m512d m2_lo = _mm512_setzero_pd(), m2_hi = _mm512_setzero_pd();
  __m512 maxabs = _mm512_setzero_ps(), probe = _mm512_setzero_ps();
  // maskz forms: GCC 12's unmasked forms warn on their own header (self-initialized __Y).
  for (int64_t v = 0; v < s.per_lane; ++v) {
    const __m512 raw = _mm512_loadu_ps(p + 16 * v);
    const __m512d x_lo = _mm512_maskz_cvtps_pd(0xff, _mm256_loadu_ps(p + 16 * v));
    const __m512d x_hi = _mm512_maskz_cvtps_pd(0xff, _mm256_loadu_ps(p + 16 * v + 8));
    const __m512d count = _mm512_set1_pd(static_cast<double>(v + 1));
    const __m512d delta_lo = _mm512_sub_pd(x_lo, mean_lo);
    const __m512d delta_hi = _mm512_sub_pd(x_hi, mean_hi);
    mean_lo = _mm512_add_pd(mean_lo, _mm512_div_pd(delta_lo, count));
    mean_hi = _mm512_add_pd(mean_hi, _mm512_div_pd(delta_hi, count));
    m2_lo = _mm512_add_pd(m2_lo, _mm512_mul_pd(delta_lo, _mm512_sub_pd(x_lo, mean_lo)));
    m2_hi = _mm512_add_pd(m2_hi, _mm512_mul_pd(delta_hi, _mm512_sub_pd(x_hi, mean_hi)));
    maxabs = _mm512_maskz_max_ps(0xffff, maxabs, _mm512_abs_ps(raw));
    probe = _mm512_add_ps(probe, _mm512_mul_ps(raw, _mm512_setzero_ps()));
  }
  _mm512_storeu_pd(s.mean, mean_lo);
  _mm512_storeu_pd(s.mean + 8, mean_hi);
  _mm512_storeu_pd(s.m2, m2_lo);
  _mm512_storeu_pd(s.m2 + 8, m2_hi);
  float lane_max[16], lane_probe[16];
  _mm512_storeu_ps(lane_max, maxabs);
  _mm512_storeu_ps(lane_probe, probe);
  for (int j = 0; j < 16; ++j) {
    s.maxabs = std::fmax(s.maxabs, lane_max[j]);
    s.finite = s.finite && lane_probe[j] == 0.0f;
  }
}

// Lane j of an 8-wide step holds element j: two 4-wide fp64 halves.
__attribute__((target("avx2"))) void lanes_avx2(const float* p, int64_t n, LaneStats& s) {
  s.lanes = 8;
  s.per_lane = n / 8;
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256d mean_lo = _mm256_setzero_pd(), mean_hi = _mm256_setzero_pd();
  __m256d m2_lo = _mm256_setzero_pd(), m2_hi = _mm256_setzero_pd();
  __m256 maxabs = _mm256_setzero_ps(), probe = _mm256_setzero_ps();
  for (int64_t v = 0; v < s.per_lane; ++v) {
    const __m256 raw = _mm256_loadu_ps(p + 8 * v);
    const __m256d x_lo = _mm256_cvtps_pd(_mm_loadu_ps(p + 8 * v));
    const __m256d x_hi = _mm256_cvtps_pd(_mm_loadu_ps(p + 8 * v + 4));
    const __m256d count = _mm256_set1_pd(static_cast<double>(v + 1));
    const __m256d delta_lo = _mm256_sub_pd(x_lo, mean_lo);
    const __m256d delta_hi = _mm256_sub_pd(x_hi, mean_hi);
    mean_lo = _mm256_add_pd(mean_lo, _mm256_div_pd(delta_lo, count));
    mean_hi = _mm256_add_pd(mean_hi, _mm256_div_pd(delta_hi, count));
    m2_lo = _mm256_add_pd(m2_lo, _mm256_mul_pd(delta_lo, _mm256_sub_pd(x_lo, mean_lo)));
    m2_hi = _mm256_add_pd(m2_hi, _mm256_mul_pd(delta_hi, _mm256_sub_pd(x_hi, mean_hi)));
    maxabs = _mm256_max_ps(maxabs, _mm256_andnot_ps(sign, raw));
    probe = _mm256_add_ps(probe, _mm256_mul_ps(raw, _mm256_setzero_ps()));
  }
  _mm256_storeu_pd(s.mean, mean_lo);
  _mm256_storeu_pd(s.mean + 4, mean_hi);
  _mm256_storeu_pd(s.m2, m2_lo);
  _mm256_storeu_pd(s.m2 + 4, m2_hi);
  float lane_max[8], lane_probe[8];
  _mm256_storeu_ps(lane_max, maxabs);
  _mm256_storeu_ps(lane_probe, probe);
  for (int j = 0; j < 8; ++j) {
    s.maxabs = std::fmax(s.maxabs, lane_max[j]);
    s.finite = s.finite && lane_probe[j] == 0.0f;
  }
}

// Same recurrence in plain C++ for CPUs without AVX2.
void lanes_portable(const float* p, int64_t n, LaneStats& s) {
  s.lanes = 8;
  s.per_lane = n / 8;
  float probe = 0;
  for (int64_t v = 0; v < s.per_lane; ++v) {
    const auto count = static_cast<double>(v + 1);
    for (int j = 0; j < 8; ++j) {
      const float raw = p[8 * v + j];
      const double x = raw;
      const double delta = x - s.mean[j];
      s.mean[j] += delta / count;
      s.m2[j] += delta * (x - s.mean[j]);
      s.maxabs = std::fmax(s.maxabs, std::fabs(raw));
      probe += raw * 0.0f;
    }
  }
  s.finite = probe == 0.0f;
}

struct RowWelford {
  double count = 0, mean = 0, m2 = 0;
  float maxabs = 0;
  bool finite = true;
};

// Chan's merge of equal-sized lanes (pairwise, so rounding grows with log2(lanes)), then
// Welford's update over the scalar tail.
RowWelford welford_row(const float* p, int64_t n) {
  LaneStats s;
  if (__builtin_cpu_supports("avx512f")) {
    lanes_avx512(p, n, s);
  } else if (__builtin_cpu_supports("avx2")) {
    lanes_avx2(p, n, s);
  } else {
    lanes_portable(p, n, s);
  }
  RowWelford row;
  row.maxabs = s.maxabs;
  row.finite = s.finite;
  if (s.per_lane > 0) {
    auto count = static_cast<double>(s.per_lane);
    for (int width = s.lanes / 2; width >= 1; width /= 2) {
      for (int j = 0; j < width; ++j) {
        const double delta = s.mean[j + width] - s.mean[j];
        s.mean[j] += delta * 0.5;
        s.m2[j] += s.m2[j + width] + delta * delta * (count * 0.5);
      }
      count *= 2;
    }
    row = {count, s.mean[0], s.m2[0], s.maxabs, s.finite};
  }
  for (int64_t i = s.per_lane * s.lanes; i < n; ++i) {
    const float raw = p[i];
    const double x = raw;
    row.count += 1;
    const double delta = x - row.mean;
    row.mean += delta / row.count;
    row.m2 += delta * (x - row.mean);
    row.maxabs = std::fmax(row.maxabs, std::fabs(raw));
    row.finite = row.finite && raw * 0.0f == 0.0f;
  }
  return row;
}

[[gnu::always_inline]] inline void normalize_loop(const float* x, int64_t n, float mean,
                                                  float rstd, const float* gamma,
                                                  const float* beta, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = (x[i] - mean) * rstd * gamma[i] + beta[i];
  // A product that overflows though the exact one is finite (huge gamma, then a beta of the
  // other sign or an infinite beta): redo those rare elements with one fused rounding.
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(out[i]) && std::isfinite(gamma[i])) {
      const float t = (x[i] - mean) * rstd;
      if (std::isfinite(t)) out[i] = std::fma(t, gamma[i], beta[i]);
    }
  }
}

__attribute__((target("avx512f"))) void normalize_avx512(const float* x, int64_t n, float mean,
                                                         float rstd, const float* gamma,
                                                         const float* beta, float* out) {
  normalize_loop(x, n, mean, rstd, gamma, beta, out);
}

__attribute__((target("avx2"))) void normalize_avx2(const float* x, int64_t n, float mean,
                                                    float rstd, const float* gamma,
                                                    const float* beta, float* out) {
  normalize_loop(x, n, mean, rstd, gamma, beta, out);
}

struct WelfordLayerNorm : engine::NormSteps<WelfordLayerNorm, float> {
  static engine::Moments<float> moments(const float* p, int64_t n) {
    engine::Moments<float> m;
    m.data = p;
    const RowWelford row = welford_row(p, n);
    if (!row.finite) {
      m.finite = false;
      return m;
    }
    // One pass always: the fp64 statistics of a row whose fp32 mean or variance would
    // overflow or underflow are rescaled exactly by a power of two, and the row is
    // normalized from a scaled copy.
    m.data_exp = scale_exponent(row.maxabs, n);
    double mean = row.mean, var = row.m2 / static_cast<double>(n);
    if (m.data_exp != 0) {
      m.data = engine::scaled_copy(p, n, m.data_exp);
      mean = std::ldexp(mean, m.data_exp);
      var = std::ldexp(var, 2 * m.data_exp);
    }
    m.mean = static_cast<float>(mean);
    m.var = static_cast<float>(var);
    return m;
  }

  static void normalize(const float* x, int64_t n, float mean, float /*dev_scale: always 1*/,
                        float rstd, const float* gamma, const float* beta, float* out) {
    if (__builtin_cpu_supports("avx512f")) return normalize_avx512(x, n, mean, rstd, gamma, beta, out);
    if (__builtin_cpu_supports("avx2")) return normalize_avx2(x, n, mean, rstd, gamma, beta, out);
    normalize_loop(x, n, mean, rstd, gamma, beta, out);
  }
};

const normcheck_kernel kWelford = {"layernorm.f32.welford", NORMCHECK_LAYERNORM, NORMCHECK_F32,
                                   NORMCHECK_F32, NORMCHECK_F32, NORMCHECK_WRITES_STATS, nullptr,
                                   &engine::run_kernel<WelfordLayerNorm>};

}  // namespace

void append_welford_kernels(std::vector<KernelInfo>& out) { out.push_back(builtin(kWelford)); }

}  // namespace normcheck::impls
