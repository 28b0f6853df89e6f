// Bit-field value generators for the property tests and the checker.
#include "properties/value_gen.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <tuple>

namespace normcheck::props {

rc::Gen<double> finite_values(ref::Format format, int lo_exponent, int hi_exponent) {
  const auto& t = ref::traits(format);
  const int lowest = t.emin - t.precision + 1;  // binade of the smallest subnormal
  const int lo = std::clamp(lo_exponent, lowest, t.emax);
  const int hi = std::clamp(hi_exponent, lo, t.emax);
  const std::uint64_t significand_count = std::uint64_t{1} << (t.precision - 1);
  return rc::gen::map(
      rc::gen::tuple(rc::gen::inRange(0, 2), rc::gen::inRange(lo, hi + 1),
                     rc::gen::inRange<std::uint64_t>(0, significand_count)),
      [format, t](const std::tuple<int, int, std::uint64_t>& fields) {
        const auto [negative, exponent, significand] = fields;
        // Products with powers of two within f64's normal range: exact.
        const double fraction = static_cast<double>(significand) * ref::exact_pow2(-(t.precision - 1));
        // Below emin the significand bits that do not fit are rounded away (RNE), which
        // can give zero or the smallest normal: both are values we want anyway.
        const double magnitude = ref::round_to_format(format, (1.0 + fraction) * ref::exact_pow2(exponent));
        return negative != 0 ? -magnitude : magnitude;
      });
}

rc::Gen<double> subnormal_values(ref::Format format) {
  const auto& t = ref::traits(format);
  const std::uint64_t count = std::uint64_t{1} << (t.precision - 1);
  return rc::gen::map(rc::gen::tuple(rc::gen::inRange(0, 2), rc::gen::inRange<std::uint64_t>(1, count)),
                      [t](const std::tuple<int, std::uint64_t>& fields) {
                        const auto [negative, significand] = fields;
                        const double magnitude =
                            static_cast<double>(significand) * ref::exact_pow2(t.emin - t.precision + 1);
                        return negative != 0 ? -magnitude : magnitude;
                      });
}

rc::Gen<double> ordinary_values(ref::Format format) {
  return rc::gen::weightedOneOf<double>({{1, rc::gen::just(0.0)}, {12, finite_values(format, -4, 3)}});
}

rc::Gen<double> tiny_values(ref::Format format) {
  const auto& t = ref::traits(format);
  return rc::gen::weightedOneOf<double>({{3, subnormal_values(format)},
                                         {2, finite_values(format, t.emin, t.emin + 2)},
                                         {1, rc::gen::just(0.0)}});
}

rc::Gen<double> nonfinite_values() {
  constexpr double inf = std::numeric_limits<double>::infinity();
  return rc::gen::element(std::numeric_limits<double>::quiet_NaN(), inf, -inf);
}

rc::Gen<double> small_integers(int magnitude) {
  return rc::gen::map(rc::gen::inRange(-magnitude, magnitude + 1),
                      [](int value) { return static_cast<double>(value); });
}

int safe_exponent(ref::Format format) {
  // Squares of values below 2^(emax/2 - 8) summed over 2^12 elements stay finite.
  return ref::traits(format).emax / 2 - 8;
}

}  // namespace normcheck::props
