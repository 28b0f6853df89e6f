// Bit-exact codecs, classification, neighbours, ulp and RNE rounding for f16/bf16/f32/f64.
#include "reference/format.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "reference/rounding.hpp"

namespace normcheck::ref {
namespace {

constexpr std::array<FormatTraits, 4> kTraits{{
    {"f16", 16, 11, -14, 15},
    {"bf16", 16, 8, -126, 127},
    {"f32", 32, 24, -126, 127},
    {"f64", 64, 53, -1022, 1023},
}};

std::uint64_t magnitude_mask(const FormatTraits& t) {
  return (t.bits == 64) ? ~(std::uint64_t{1} << 63) : ((std::uint64_t{1} << (t.bits - 1)) - 1);
}
std::uint64_t sign_bit(const FormatTraits& t) { return std::uint64_t{1} << (t.bits - 1); }
int exponent_bias(const FormatTraits& t) { return t.emax; }
std::uint64_t exponent_field_ones(const FormatTraits& t) {
  return (std::uint64_t{1} << (t.bits - t.precision)) - 1;
}

}  // namespace

const FormatTraits& traits(Format format) {
  const auto index = static_cast<std::size_t>(format) - 1;
  if (index >= kTraits.size()) throw std::invalid_argument("unknown normcheck format");
  return kTraits[index];
}

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
  if (std::fabs(value) < std::ldexp(1.0, traits(format).emin)) return FpClass::subnormal;
  return FpClass::normal;
}

bool is_representable(Format format, double value) {
  if (!std::isfinite(value)) return true;
  return round_to_format(format, value) == value;
}

double round_to_format(Format format, double value) {
  return detail::round_double(traits(format), value);
}

std::uint64_t to_bits(Format format, double value) {
  const FormatTraits& t = traits(format);
  if (!is_representable(format, value)) {
    throw std::invalid_argument("to_bits: value not representable in " + std::string(t.name));
  }
  const int mantissa_bits = t.precision - 1;
  const std::uint64_t exp_ones = exponent_field_ones(t);
  if (std::isnan(value)) return (exp_ones << mantissa_bits) | (std::uint64_t{1} << (mantissa_bits - 1));
  if (format == Format::f64) return std::bit_cast<std::uint64_t>(value);
  if (format == Format::f32) return std::bit_cast<std::uint32_t>(static_cast<float>(value));
  const std::uint64_t sign = std::signbit(value) ? sign_bit(t) : 0;
  const double magnitude = std::fabs(value);
  if (std::isinf(value)) return sign | (exp_ones << mantissa_bits);
  if (magnitude == 0.0) return sign;
  if (magnitude < std::ldexp(1.0, t.emin)) {  // subnormal: exponent field 0
    return sign | static_cast<std::uint64_t>(std::ldexp(magnitude, mantissa_bits - t.emin));
  }
  const int exponent = std::ilogb(magnitude);
  const auto significand = static_cast<std::uint64_t>(std::ldexp(magnitude, mantissa_bits - exponent));
  const auto field = static_cast<std::uint64_t>(exponent + exponent_bias(t));
  return sign | (field << mantissa_bits) | (significand - (std::uint64_t{1} << mantissa_bits));
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
  const double sign = (bits & sign_bit(t)) ? -1.0 : 1.0;
  if (field == exponent_field_ones(t)) {
    return mantissa ? std::numeric_limits<double>::quiet_NaN()
                    : sign * std::numeric_limits<double>::infinity();
  }
  if (field == 0) return sign * std::ldexp(static_cast<double>(mantissa), t.emin - mantissa_bits);
  const double significand = static_cast<double>(mantissa | (std::uint64_t{1} << mantissa_bits));
  return sign * std::ldexp(significand, static_cast<int>(field) - exponent_bias(t) - mantissa_bits);
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
  if (!std::isfinite(value)) return std::ldexp(1.0, t.emax - t.precision + 1);
  if (value == 0.0) return std::ldexp(1.0, t.emin - t.precision + 1);
  const int exponent = std::max(std::ilogb(value), t.emin);
  return std::ldexp(1.0, exponent - t.precision + 1);
}

}  // namespace normcheck::ref
