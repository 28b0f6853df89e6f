// The kernels' own fp16 / bf16 conversions (round-to-nearest-even), independent of the oracle's.
#pragma once
#include <bit>
#include <cstdint>

namespace normcheck::impls {

// Scalar conversions, inline so row loops and the fp16 emulation vectorize or at least inline.
// f32_to_f16 / f32_to_bf16 round to nearest even, subnormals and overflow to inf included; a
// NaN stays a quiet NaN.
inline float f16_to_f32(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1fu;
  const uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0) {
    // Subnormal or zero: mantissa * 2^-24 is exact in float.
    const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 0x1f) return std::bit_cast<float>(sign | 0x7f80'0000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

inline uint16_t f32_to_f16(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  bits &= 0x7fff'ffffu;
  if (bits >= 0x7f80'0000u) {  // inf, or NaN kept quiet with its top payload bits
    const uint32_t payload = bits > 0x7f80'0000u ? (0x200u | ((bits >> 13) & 0x3ffu)) : 0u;
    return static_cast<uint16_t>(sign | 0x7c00u | payload);
  }
  if (bits >= 0x477f'f000u) return static_cast<uint16_t>(sign | 0x7c00u);  // >= 65520 ties to inf
  if (bits < 0x3880'0000u) {
    // Below 2^-14 the result is a multiple of 2^-24: adding 0.5 makes the float adder round
    // to that grid with ties to even, and the low bits are then the fp16 mantissa.
    const float rounded = std::bit_cast<float>(bits) + 0.5f;
    return static_cast<uint16_t>(sign | (std::bit_cast<uint32_t>(rounded) - 0x3f00'0000u));
  }
  const uint32_t mantissa_odd = (bits >> 13) & 1u;
  bits += 0xc800'0fffu + mantissa_odd;  // rebias 127 -> 15 (wraps), then round half to even
  return static_cast<uint16_t>(sign | (bits >> 13));
}

inline float bf16_to_f32(uint16_t bits) { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

inline uint16_t f32_to_bf16(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  if ((bits & 0x7fff'ffffu) > 0x7f80'0000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
  const uint32_t lsb = (bits >> 16) & 1u;
  return static_cast<uint16_t>((bits + 0x7fffu + lsb) >> 16);
}


// value rounded to the nearest fp16 / bf16, returned as a float (exact).
inline float round_to_f16(float value) { return f16_to_f32(f32_to_f16(value)); }
inline float round_to_bf16(float value) { return bf16_to_f32(f32_to_bf16(value)); }

// Whole rows: F16C when the CPU has it, the scalar code otherwise (same results).
void f16_row_to_f32(const uint16_t* in, float* out, int64_t n);
void f32_row_to_f16(const float* in, uint16_t* out, int64_t n);

}  // namespace normcheck::impls
