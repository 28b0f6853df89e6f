// Bit-exact codecs, classification, neighbours, ulp and RNE rounding for f16/bf16/f32/f64.
#include "reference/format.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

#include "reference/rounding.hpp"

namespace normcheck::ref {
namespace {

std::uint64_t magnitude_mask(const FormatTraits& t) {
  return (t.bits == 64) ? ~(std::uint64_t{1} << 63) : ((std::uint64_t{1} << (t.bits - 1)) - 1);
}
std::uint64_t sign_bit(const FormatTraits& t) { return std::uint64_t{1} << (t.bits - 1); }
int exponent_bias(const FormatTraits& t) { return t.emax; }
std::uint64_t exponent_field_ones(const FormatTraits& t) {
  return (std::uint64_t{1} << (t.bits - t.precision)) - 1;
}

constexpr std::uint64_t kDoubleSignificandMask = (std::uint64_t{1} << 52) - 1;

// The format's bit pattern of a finite double, read off the double's own fields (no
// rounding, no libm); nullopt when the value is not exactly a value of the format
// (bits dropped, beyond the largest binade, or below the smallest subnormal). Every
// value of f16, bf16 and f32 is a normal double, so a subnormal double other than zero
// belongs to f64 alone.
std::optional<std::uint64_t> encode_finite(const FormatTraits& t, double value) {
  // f32 and bf16 through the hardware conversion, the common case of every per-element
  // loop: within f32's range it is defined and gives a neighbour of the value (the nearest
  // under the default rounding), which equals the value exactly when the value is an f32.
  const bool bf16 = t.bits == 16 && t.precision == 8;
  if (t.bits == 32 || bf16) {
    if (!(std::fabs(value) <= 0x1.fffffep127)) return std::nullopt;
    const auto single = static_cast<float>(value);
    if (static_cast<double>(single) != value) return std::nullopt;
    const auto bits = std::bit_cast<std::uint32_t>(single);
    if (t.bits == 32) return bits;
    if ((bits & 0xffffu) != 0) return std::nullopt;  // bf16 is the upper half of an f32
    return bits >> 16;
  }
  const auto d = std::bit_cast<std::uint64_t>(value);
  const std::uint64_t sign = (d >> 63) != 0 ? sign_bit(t) : 0;
  const std::uint64_t magnitude = d & ~(std::uint64_t{1} << 63);
  if (magnitude == 0) return sign;
  const int exponent = static_cast<int>(magnitude >> 52) - 1023;
  if (exponent == -1023 || exponent > t.emax) return std::nullopt;
  const std::uint64_t significand = (magnitude & kDoubleSignificandMask) | (std::uint64_t{1} << 52);
  const int mantissa_bits = t.precision - 1;
  // The double's significand bits below the format's quantum must all be zero.
  const int dropped = 52 - mantissa_bits + std::max(0, t.emin - exponent);
  if (dropped > 52) return std::nullopt;  // below the smallest subnormal, 2^(emin - p + 1)
  if ((significand & ((std::uint64_t{1} << dropped) - 1)) != 0) return std::nullopt;
  if (exponent < t.emin) return sign | (significand >> dropped);  // subnormal: exponent field 0
  const auto field = static_cast<std::uint64_t>(exponent + exponent_bias(t));
  return sign | (field << mantissa_bits) | ((significand >> dropped) & ((std::uint64_t{1} << mantissa_bits) - 1));
}

}  // namespace

void detail::throw_unknown_format() { throw std::invalid_argument("unknown normcheck format"); }

std::optional<Format> parse_format(std::string_view name) {
  for (Format f : {Format::f16, Format::bf16, Format::f32, Format::f64}) {
    if (traits(f).name == name) return f;
  }
  return std::nullopt;
}

std::string_view format_name(Format format) { return traits(format).name; }

FpClass classify(Format format, double value) {
  if (std::isnan(value)) return FpClass::nan;
  if (std::isinf(value)) return FpClass::infinite;
  if (value == 0.0) return FpClass::zero;
  if (std::fabs(value) < detail::pow2(traits(format).emin)) return FpClass::subnormal;
  return FpClass::normal;
}

bool is_representable(Format format, double value) {
  if (format == Format::f64 || !std::isfinite(value)) return true;
  return encode_finite(traits(format), value).has_value();
}

double round_to_format(Format format, double value) {
  return detail::round_double(traits(format), value);
}

void round_to_format(Format format, double* values, std::size_t count) {
  if (format == Format::f64) return;
  const FormatTraits& t = traits(format);
  for (std::size_t i = 0; i < count; ++i) values[i] = detail::round_double(t, values[i]);
}

std::uint64_t to_bits(Format format, double value) {
  if (format == Format::f64) return std::bit_cast<std::uint64_t>(value);
  // f32 and bf16 values are floats: the hardware conversion, exact when it converts back
  // (the judge's ULP distance asks for two patterns per output). NaN and the rest below.
  if ((format == Format::f32 || format == Format::bf16) && std::fabs(value) <= 0x1.fffffep127) {
    const auto single = static_cast<float>(value);
    const auto bits = std::bit_cast<std::uint32_t>(single);
    if (static_cast<double>(single) == value && (format == Format::f32 || (bits & 0xffffu) == 0)) {
      return format == Format::f32 ? bits : bits >> 16;
    }
  }
  const FormatTraits& t = traits(format);
  const int mantissa_bits = t.precision - 1;
  const std::uint64_t exp_ones = exponent_field_ones(t);
  if (std::isnan(value)) return (exp_ones << mantissa_bits) | (std::uint64_t{1} << (mantissa_bits - 1));
  if (std::isinf(value)) return (std::signbit(value) ? sign_bit(t) : 0) | (exp_ones << mantissa_bits);
  const auto bits = encode_finite(t, value);
  if (!bits) throw std::invalid_argument("to_bits: value not representable in " + std::string(t.name));
  return *bits;
}

double from_bits(Format format, std::uint64_t bits) {
  const FormatTraits& t = traits(format);
  if (t.bits < 64 && (bits >> t.bits) != 0) {
    throw std::invalid_argument("from_bits: pattern wider than " + std::string(t.name));
  }
  if (format == Format::f64) return std::bit_cast<double>(bits);
  if (format == Format::f32) return std::bit_cast<float>(static_cast<std::uint32_t>(bits));
  const int mantissa_bits = t.precision - 1;
  const std::uint64_t mantissa = bits & ((std::uint64_t{1} << mantissa_bits) - 1);
  const std::uint64_t field = (bits & magnitude_mask(t)) >> mantissa_bits;
  const bool negative = (bits & sign_bit(t)) != 0;
  if (field == exponent_field_ones(t)) {
    return mantissa ? std::numeric_limits<double>::quiet_NaN()
                    : (negative ? -1.0 : 1.0) * std::numeric_limits<double>::infinity();
  }
  if (field == 0) {  // subnormal (or zero): an integer times the quantum, both exact
    const double magnitude = static_cast<double>(mantissa) * detail::pow2(t.emin - mantissa_bits);
    return negative ? -magnitude : magnitude;
  }
  // Normal: the same significand and exponent as a double's fields.
  const std::uint64_t exponent = field - static_cast<std::uint64_t>(exponent_bias(t)) + 1023;
  return std::bit_cast<double>((negative ? std::uint64_t{1} << 63 : 0) | (exponent << 52) |
                               (mantissa << (52 - mantissa_bits)));
}

namespace {

// The canonical quiet NaN of f32 (to_bits of any NaN).
constexpr std::uint32_t kF32QuietNan = 0x7fc0'0000u;

// f32 and bf16 (its upper half): the hardware conversion, checked by converting back.
// Values beyond f32's range are replaced by 0 before the conversion (they are reported,
// not converted), so that no out-of-range conversion is ever evaluated.
template <bool upper_half>
bool encode_single(const double* values, std::size_t count, unsigned char* out) {
  bool exact = true;
  for (std::size_t i = 0; i < count; ++i) {
    const double v = values[i];
    const bool in_range = std::fabs(v) <= 0x1.fffffep127 || !std::isfinite(v);
    const auto single = static_cast<float>(in_range ? v : 0.0);
    std::uint32_t bits = std::bit_cast<std::uint32_t>(single);
    bits = v != v ? kF32QuietNan : bits;
    exact &= in_range && (static_cast<double>(single) == v || v != v);
    if constexpr (upper_half) {
      exact &= (bits & 0xffffu) == 0 || v != v;
      const auto half = static_cast<std::uint16_t>(bits >> 16);
      std::memcpy(out + 2 * i, &half, 2);
    } else {
      std::memcpy(out + 4 * i, &bits, 4);
    }
  }
  return exact;
}

}  // namespace

void encode_values(Format format, const double* values, std::size_t count, void* out) {
  if (count == 0) return;  // an empty vector's data() may be null, which memcpy may not take
  auto* bytes = static_cast<unsigned char*>(out);
  bool exact = true;
  switch (format) {
    case Format::f64:
      std::memcpy(bytes, values, count * sizeof(double));
      return;
    case Format::f32: exact = encode_single<false>(values, count, bytes); break;
    case Format::bf16: exact = encode_single<true>(values, count, bytes); break;
    case Format::f16:
      for (std::size_t i = 0; i < count; ++i) {
        const auto bits = static_cast<std::uint16_t>(to_bits(format, values[i]));
        std::memcpy(bytes + 2 * i, &bits, 2);
      }
      return;
  }
  if (exact) return;
  // Name the first value at fault, as to_bits does.
  for (std::size_t i = 0; i < count; ++i) (void)to_bits(format, values[i]);
}

void decode_values(Format format, const void* in, std::size_t count, double* values) {
  if (count == 0) return;
  const auto* bytes = static_cast<const unsigned char*>(in);
  switch (format) {
    case Format::f64:
      std::memcpy(values, bytes, count * sizeof(double));
      return;
    case Format::f32:
      for (std::size_t i = 0; i < count; ++i) {
        float single;
        std::memcpy(&single, bytes + 4 * i, 4);
        values[i] = single;
      }
      return;
    case Format::bf16:
      for (std::size_t i = 0; i < count; ++i) {
        std::uint16_t half;
        std::memcpy(&half, bytes + 2 * i, 2);
        values[i] = std::bit_cast<float>(static_cast<std::uint32_t>(half) << 16);
      }
      return;
    case Format::f16:
      for (std::size_t i = 0; i < count; ++i) {
        std::uint16_t half;
        std::memcpy(&half, bytes + 2 * i, 2);
        values[i] = from_bits(format, half);
      }
      return;
  }
}

double next_up(Format format, double value) {
  if (std::isnan(value)) return value;
  const FormatTraits& t = traits(format);
  const std::uint64_t bits = to_bits(format, value);
  const std::uint64_t magnitude = bits & magnitude_mask(t);
  if (value == std::numeric_limits<double>::infinity()) return value;
  if (magnitude == 0) return from_bits(format, 1);  // either zero steps to the smallest subnormal
  if ((bits & sign_bit(t)) == 0) return from_bits(format, bits + 1);
  return from_bits(format, sign_bit(t) | (magnitude - 1));  // towards zero; -min_subnormal -> -0
}

double next_down(Format format, double value) { return -next_up(format, -value); }

double ulp(Format format, double value) {
  const FormatTraits& t = traits(format);
  if (!std::isfinite(value)) return detail::pow2(t.emax - t.precision + 1);
  // Below 2^emin (zero and every double that is subnormal) the ulp is the quantum.
  const auto biased = static_cast<int>((std::bit_cast<std::uint64_t>(value) >> 52) & 0x7ff);
  const int exponent = std::max(biased - 1023, t.emin);
  return detail::pow2(exponent - t.precision + 1);
}

}  // namespace normcheck::ref
