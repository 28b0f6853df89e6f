// Binary floating-point formats checked by normcheck (f16, bf16, f32, f64): bit-exact
// codecs, classification, neighbours, ulp and round-to-nearest-even of a double.
//
// Every value of every supported format is exactly a double, so doubles are the
// common currency between the oracle, the harness and the case files.
#pragma once

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace normcheck::ref {

// Numbered like normcheck_dtype in the kernel ABI so the two convert by value.
enum class Format : std::uint8_t { f16 = 1, bf16 = 2, f32 = 3, f64 = 4 };

struct FormatTraits {
  std::string_view name;  // "f16", "bf16", "f32", "f64"
  int bits;               // storage width
  int precision;          // p: significand bits including the implicit one
  int emin;               // exponent of the smallest normal: 2^emin
  int emax;               // exponent of the largest finite binade
};

namespace detail {
inline constexpr FormatTraits kFormatTraits[4] = {
    {"f16", 16, 11, -14, 15},
    {"bf16", 16, 8, -126, 127},
    {"f32", 32, 24, -126, 127},
    {"f64", 64, 53, -1022, 1023},
};
[[noreturn]] void throw_unknown_format();
}  // namespace detail

// Inline: the judge and the generators ask for a format's traits per element.
inline const FormatTraits& traits(Format format) {
  const auto index = static_cast<unsigned>(format) - 1;
  if (index >= 4) detail::throw_unknown_format();
  return detail::kFormatTraits[index];
}
std::optional<Format> parse_format(std::string_view name);
std::string_view format_name(Format format);

enum class FpClass { nan, infinite, zero, subnormal, normal };
FpClass classify(Format format, double value);

// True when value is exactly a value of the format (NaN and infinities included).
bool is_representable(Format format, double value);

// Bit pattern of value in the format; value must be representable (else
// std::invalid_argument). NaN encodes as the format's canonical quiet NaN.
std::uint64_t to_bits(Format format, double value);
// Exact value of a bit pattern (NaN payloads are not preserved).
double from_bits(Format format, std::uint64_t bits);

// Bit patterns of count values, each of the format's width (2, 4 or 8 bytes, the
// machine's byte order), written to out: to_bits of each, with a loop per format that
// the compiler can vectorize (kernel buffers are encoded and decoded per call). Throws
// std::invalid_argument, as to_bits, if a value is not representable.
void encode_values(Format format, const double* values, std::size_t count, void* out);
// The exact values of count bit patterns of the format's width read from in (from_bits).
void decode_values(Format format, const void* in, std::size_t count, double* values);

// Round-to-nearest-even of a double to the format, with subnormals and overflow
// to infinity. Single rounding: never goes through an intermediate format.
double round_to_format(Format format, double value);
// round_to_format of each of count values, in place (one loop, the rounding inlined).
void round_to_format(Format format, double* values, std::size_t count);

// Neighbouring values in the format (value must be representable).
double next_up(Format format, double value);
double next_down(Format format, double value);

// 2^k, exactly (0 or infinity outside f64's range). In the normal range it is built from
// its bit pattern: the per-element loops of the generators and the judge call it, and
// std::ldexp costs a libm call.
inline double exact_pow2(int k) {
  if (k >= -1022 && k <= 1023) return std::bit_cast<double>(static_cast<std::uint64_t>(k + 1023) << 52);
  return std::ldexp(1.0, k);
}

// x * 2^k rounded once (to nearest), as std::ldexp: where 2^k is a normal double the product
// by it is that correctly rounded value, without the libm call (the oracle scales every row's
// statistics by 2^-q).
inline double times_exact_pow2(double x, int k) {
  if (k >= -1022 && k <= 1023) return x * exact_pow2(k);
  return std::ldexp(x, k);
}

// ulp(v) = 2^(max(floor(log2|v|), emin) - p + 1); ulp(0) is the smallest subnormal.
// For infinities and NaN the ulp of the largest finite value is returned.
double ulp(Format format, double value);

}  // namespace normcheck::ref
