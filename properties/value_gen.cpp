// Bit-field value distributions for the property tests and the checker.
#include "properties/value_gen.hpp"

#include <limits>

namespace normcheck::props {

ValueDistribution finite_values(ref::Format format, int lo_exponent, int hi_exponent) {
  return {format, BinadeValues{lo_exponent, hi_exponent}};
}

ValueDistribution subnormal_values(ref::Format format) { return {format, SubnormalValues{}}; }

ValueDistribution zero_values(ref::Format format) { return {format, ConstantValue{0.0}}; }

ValueDistribution ordinary_values(ref::Format format) {
  return ValueDistribution::mix({{1, zero_values(format)}, {12, finite_values(format, -4, 3)}});
}

ValueDistribution tiny_values(ref::Format format) {
  const auto& t = ref::traits(format);
  return ValueDistribution::mix(
      {{3, subnormal_values(format)}, {2, finite_values(format, t.emin, t.emin + 2)}, {1, zero_values(format)}});
}

rc::Gen<double> nonfinite_values() {
  constexpr double inf = std::numeric_limits<double>::infinity();
  return rc::gen::element(std::numeric_limits<double>::quiet_NaN(), inf, -inf);
}

ValueDistribution small_integers(int magnitude) { return {ref::Format::f64, IntegerValues{magnitude}}; }

int safe_exponent(ref::Format format) {
  // Squares of values below 2^(emax/2 - 8) summed over 2^12 elements stay finite.
  return ref::traits(format).emax / 2 - 8;
}

}  // namespace normcheck::props
