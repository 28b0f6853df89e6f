// fp16 / bf16 conversions: scalar bit manipulation plus an F16C row path chosen at run time.
#include "impls/kernels/float_formats.hpp"

#include <cpuid.h>
#include <immintrin.h>

#include <bit>

namespace normcheck::impls {

namespace {

bool cpu_has_f16c() {
  // clang 14's __builtin_cpu_supports has no "f16c": read CPUID leaf 1 (ECX bit 29) directly;
  // "avx" also covers the OS saving YMM state.
  static const bool has = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0 &&
           __builtin_cpu_supports("avx");
  }();
  return has;
}

__attribute__((target("avx,f16c"))) void f16_row_to_f32_f16c(const uint16_t* in, float* out,
                                                               int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(h));
  }
  for (; i < n; ++i) out[i] = f16_to_f32(in[i]);
}

__attribute__((target("avx,f16c"))) void f32_row_to_f16_f16c(const float* in, uint16_t* out,
                                                               int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
  }
  for (; i < n; ++i) out[i] = f32_to_f16(in[i]);
}

}  // namespace

void f16_row_to_f32(const uint16_t* in, float* out, int64_t n) {
  if (cpu_has_f16c()) return f16_row_to_f32_f16c(in, out, n);
  for (int64_t i = 0; i < n; ++i) out[i] = f16_to_f32(in[i]);
}

void f32_row_to_f16(const float* in, uint16_t* out, int64_t n) {
  if (cpu_has_f16c()) return f32_row_to_f16_f16c(in, out, n);
  for (int64_t i = 0; i < n; ++i) out[i] = f32_to_f16(in[i]);
}

}  // namespace normcheck::impls
