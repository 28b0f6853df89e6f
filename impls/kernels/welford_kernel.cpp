// fp32 LayerNorm with single-pass Welford statistics, vectorized for AVX-512 / AVX2 at run time.
//
// Each SIMD lane runs Welford's update over its strided share of the row; the lanes are then
// merged pairwise with Chan's parallel formula and the scalar tail continues the recurrence.
//
// The recurrence runs on shifted data x - K with K = x[0]. Welford's relative variance error
// grows like n * u * |mean| / std (Chan, Golub & LeVeque 1983), because every delta carries
// the running mean's rounding error u * |mean|; shifting by an element of the row makes the
// effective |mean| / std of the data the recurrence sees of order one, so rows with a large
// mean and a tiny spread keep the accuracy of the two-pass kernel.
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
  float mean[kMaxLanes] = {};
  float m2[kMaxLanes] = {};
  float maxabs = 0;
  bool finite = true;
};

__attribute__((target("avx512f"))) void lanes_avx512(const float* p, int64_t n, float shift,
                                                     LaneStats& s) {
  s.lanes = 16;
  s.per_lane = n / 16;
  const __m512 k = _mm512_set1_ps(shift);
  __m512 mean = _mm512_setzero_ps(), m2 = _mm512_setzero_ps();
  __m512 maxabs = _mm512_setzero_ps(), probe = _mm512_setzero_ps();
  for (int64_t v = 0; v < s.per_lane; ++v) {
    const __m512 raw = _mm512_loadu_ps(p + 16 * v);
    const __m512 x = _mm512_sub_ps(raw, k);
    const __m512 count = _mm512_set1_ps(static_cast<float>(v + 1));
    const __m512 delta = _mm512_sub_ps(x, mean);
    mean = _mm512_add_ps(mean, _mm512_div_ps(delta, count));
    m2 = _mm512_add_ps(m2, _mm512_mul_ps(delta, _mm512_sub_ps(x, mean)));
    // maskz form: GCC 12's unmasked form warns on its own header (self-initialized __Y).
    maxabs = _mm512_maskz_max_ps(0xffff, maxabs, _mm512_abs_ps(raw));
    probe = _mm512_add_ps(probe, _mm512_mul_ps(raw, _mm512_setzero_ps()));
  }
  _mm512_storeu_ps(s.mean, mean);
  _mm512_storeu_ps(s.m2, m2);
  float lane_max[16], lane_probe[16];
  _mm512_storeu_ps(lane_max, maxabs);
  _mm512_storeu_ps(lane_probe, probe);
  for (int j = 0; j < 16; ++j) {
    s.maxabs = std::fmax(s.maxabs, lane_max[j]);
    s.finite = s.finite && lane_probe[j] == 0.0f;
  }
}

__attribute__((target("avx2"))) void lanes_avx2(const float* p, int64_t n, float shift,
                                                LaneStats& s) {
  s.lanes = 8;
  s.per_lane = n / 8;
  const __m256 k = _mm256_set1_ps(shift);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 mean = _mm256_setzero_ps(), m2 = _mm256_setzero_ps();
  __m256 maxabs = _mm256_setzero_ps(), probe = _mm256_setzero_ps();
  for (int64_t v = 0; v < s.per_lane; ++v) {
    const __m256 raw = _mm256_loadu_ps(p + 8 * v);
    const __m256 x = _mm256_sub_ps(raw, k);
    const __m256 count = _mm256_set1_ps(static_cast<float>(v + 1));
    const __m256 delta = _mm256_sub_ps(x, mean);
    mean = _mm256_add_ps(mean, _mm256_div_ps(delta, count));
    m2 = _mm256_add_ps(m2, _mm256_mul_ps(delta, _mm256_sub_ps(x, mean)));
    maxabs = _mm256_max_ps(maxabs, _mm256_andnot_ps(sign, raw));
    probe = _mm256_add_ps(probe, _mm256_mul_ps(raw, _mm256_setzero_ps()));
  }
  _mm256_storeu_ps(s.mean, mean);
  _mm256_storeu_ps(s.m2, m2);
  float lane_max[8], lane_probe[8];
  _mm256_storeu_ps(lane_max, maxabs);
  _mm256_storeu_ps(lane_probe, probe);
  for (int j = 0; j < 8; ++j) {
    s.maxabs = std::fmax(s.maxabs, lane_max[j]);
    s.finite = s.finite && lane_probe[j] == 0.0f;
  }
}

// Same recurrence in plain C++ for CPUs without AVX2.
void lanes_portable(const float* p, int64_t n, float shift, LaneStats& s) {
  s.lanes = 8;
  s.per_lane = n / 8;
  float probe = 0;
  for (int64_t v = 0; v < s.per_lane; ++v) {
    const auto count = static_cast<float>(v + 1);
    for (int j = 0; j < 8; ++j) {
      const float raw = p[8 * v + j];
      const float x = raw - shift;
      const float delta = x - s.mean[j];
      s.mean[j] += delta / count;
      s.m2[j] += delta * (x - s.mean[j]);
      s.maxabs = std::fmax(s.maxabs, std::fabs(raw));
      probe += raw * 0.0f;
    }
  }
  s.finite = probe == 0.0f;
}

struct RowWelford {
  float count = 0, mean = 0, m2 = 0, maxabs = 0;
  bool finite = true;
};

// Chan's merge of equal-sized lanes (pairwise, so rounding grows with log2(lanes)), then
// Welford's update over the scalar tail.
// The returned mean is of the shifted data; the caller adds the shift back.
RowWelford welford_row(const float* p, int64_t n, float shift) {
  LaneStats s;
  if (__builtin_cpu_supports("avx512f")) {
    lanes_avx512(p, n, shift, s);
  } else if (__builtin_cpu_supports("avx2")) {
    lanes_avx2(p, n, shift, s);
  } else {
    lanes_portable(p, n, shift, s);
  }
  RowWelford row;
  row.maxabs = s.maxabs;
  row.finite = s.finite;
  if (s.per_lane > 0) {
    auto count = static_cast<float>(s.per_lane);
    for (int width = s.lanes / 2; width >= 1; width /= 2) {
      for (int j = 0; j < width; ++j) {
        const float delta = s.mean[j + width] - s.mean[j];
        s.mean[j] += delta * 0.5f;
        s.m2[j] += s.m2[j + width] + delta * delta * (count * 0.5f);
      }
      count *= 2;
    }
    row = {count, s.mean[0], s.m2[0], s.maxabs, s.finite};
  }
  for (int64_t i = s.per_lane * s.lanes; i < n; ++i) {
    const float raw = p[i];
    const float x = raw - shift;
    row.count += 1;
    const float delta = x - row.mean;
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
    RowWelford row = welford_row(p, n, p[0]);
    if (!row.finite) {
      m.finite = false;
      return m;
    }
    // Single pass in the common case; rows whose squares could overflow or underflow are
    // scaled by a power of two and passed over again.
    m.data_exp = scale_exponent(row.maxabs, n);
    if (m.data_exp != 0) {
      m.data = engine::scaled_copy(p, n, m.data_exp);
      row = welford_row(m.data, n, m.data[0]);
    }
    m.mean = row.mean + m.data[0];
    m.var = row.m2 / static_cast<float>(n);
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
