// Ordinals and midpoints of a format's values, for the exact rounding search.
#include "reference/certified_search.hpp"

namespace normcheck::ref::detail {
namespace {

std::uint64_t magnitude_bits(Format format, double value) {
  const std::uint64_t bits = to_bits(format, std::fabs(value));
  return bits;
}

// A finite value of the format as mantissa * 2^quantum with the format's own quantum
// (|mantissa| < 2^p), so neighbouring values have exponents at most 1 apart.
Dyadic quantum_form(const FormatTraits& t, double value) {
  const int exponent = value == 0.0 ? t.emin : std::max(std::ilogb(value), t.emin);
  const int quantum = exponent - t.precision + 1;
  // value 2^-quantum is an integer below 2^p: exact, by one multiplication where 2^-quantum is
  // a double (every format but f64's subnormal quanta), else by ldexp.
  const double scaled = -quantum <= 1023 ? value * exact_pow2(-quantum) : std::ldexp(value, -quantum);
  return {static_cast<std::int64_t>(scaled), quantum};
}

}  // namespace

std::int64_t ordinal(Format format, double value) {
  const auto magnitude = static_cast<std::int64_t>(magnitude_bits(format, value));
  return std::signbit(value) ? -magnitude : magnitude;
}

double value_at_ordinal(Format format, std::int64_t k) {
  const double magnitude = from_bits(format, static_cast<std::uint64_t>(k < 0 ? -k : k));
  return k < 0 ? -magnitude : magnitude;
}

std::int64_t infinity_ordinal(Format format) {
  return ordinal(format, std::numeric_limits<double>::infinity());
}

Dyadic upper_midpoint(Format format, std::int64_t k) {
  const FormatTraits& t = traits(format);
  const Dyadic beyond{std::int64_t{1} << (t.precision - 1), t.emax + 2 - t.precision};  // 2^(emax+1)
  auto form = [&](std::int64_t ordinal_k) {
    const double v = value_at_ordinal(format, ordinal_k);
    if (std::isinf(v)) return Dyadic{v > 0 ? beyond.mantissa : -beyond.mantissa, beyond.exponent};
    return quantum_form(t, v);
  };
  const Dyadic a = form(k);
  const Dyadic b = form(k + 1);
  const int e = std::min(a.exponent, b.exponent);
  const std::int64_t sum = a.mantissa * (std::int64_t{1} << (a.exponent - e)) +
                           b.mantissa * (std::int64_t{1} << (b.exponent - e));
  return {sum, e - 1};
}

}  // namespace normcheck::ref::detail
