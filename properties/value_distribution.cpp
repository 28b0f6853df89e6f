// Value distributions drawn from a plain stream (value_distribution.hpp).
#include "properties/value_distribution.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace normcheck::props {

ValueDistribution::ValueDistribution(ref::Format format, ValueKind kind)
    : ValueDistribution(format, std::vector<Part>{{1, std::move(kind)}}) {}

ValueDistribution::ValueDistribution(ref::Format format, std::vector<Part> parts)
    : format_(format), parts_(std::move(parts)) {
  for (const Part& part : parts_) total_weight_ += part.weight;
  if (total_weight_ == 0) throw std::invalid_argument("ValueDistribution: no part has a weight");
}

ValueDistribution ValueDistribution::mix(std::vector<std::pair<unsigned, ValueDistribution>> parts) {
  if (parts.empty()) throw std::invalid_argument("ValueDistribution::mix: no parts");
  // Flattened: a part of weight w whose own parts weigh w_k in total W gets w * w_k / W,
  // made integral by scaling every weight by the product of the totals.
  unsigned scale = 1;
  for (const auto& [weight, distribution] : parts) scale *= distribution.total_weight_;
  std::vector<Part> flat;
  for (const auto& [weight, distribution] : parts) {
    for (const Part& part : distribution.parts_)
      flat.push_back({weight * part.weight * (scale / distribution.total_weight_), part.kind});
  }
  return ValueDistribution(parts.front().second.format_, std::move(flat));
}

double ValueDistribution::draw_kind(const ValueKind& kind, SplitMix64& stream) const {
  const auto& t = ref::traits(format_);
  if (const auto* constant = std::get_if<ConstantValue>(&kind)) return constant->value;
  if (const auto* integers = std::get_if<IntegerValues>(&kind)) {
    const auto span = static_cast<std::uint64_t>(2 * integers->magnitude + 1);
    return static_cast<double>(static_cast<std::int64_t>(stream.below(span)) - integers->magnitude);
  }
  const std::uint64_t bits = stream.next();
  const bool negative = (bits & 1u) != 0;
  const std::uint64_t significand_count = std::uint64_t{1} << (t.precision - 1);
  double magnitude;
  if (std::holds_alternative<SubnormalValues>(kind)) {
    const std::uint64_t significand = 1 + stream.below(significand_count - 1);
    magnitude = static_cast<double>(significand) * ref::exact_pow2(t.emin - t.precision + 1);
  } else {
    const auto& binades = std::get<BinadeValues>(kind);
    const int lowest = t.emin - t.precision + 1;  // binade of the smallest subnormal
    const int lo = std::clamp(binades.lo, lowest, t.emax);
    const int hi = std::clamp(binades.hi, lo, t.emax);
    const int exponent = lo + static_cast<int>(stream.below(static_cast<std::uint64_t>(hi - lo + 1)));
    // Products with powers of two within f64's normal range: exact.
    const double fraction = static_cast<double>(stream.below(significand_count)) * ref::exact_pow2(-(t.precision - 1));
    // Below emin the significand bits that do not fit are rounded away (RNE).
    magnitude = ref::round_to_format(format_, (1.0 + fraction) * ref::exact_pow2(exponent));
  }
  return negative ? -magnitude : magnitude;
}

double ValueDistribution::draw(SplitMix64& stream) const {
  if (parts_.size() == 1) return draw_kind(parts_.front().kind, stream);
  auto pick = static_cast<unsigned>(stream.below(total_weight_));
  for (const Part& part : parts_) {
    if (pick < part.weight) return draw_kind(part.kind, stream);
    pick -= part.weight;
  }
  return draw_kind(parts_.back().kind, stream);  // unreachable: pick < total_weight_
}

rc::Seq<double> simpler_values(double value) {
  std::vector<double> out;
  if (std::signbit(value) && value != 0.0) out.push_back(-value);
  const double magnitude = std::fabs(value);
  if (std::isfinite(magnitude) && magnitude != 0.0) {
    const double power = std::ldexp(1.0, std::ilogb(magnitude));
    if (power != magnitude) out.push_back(std::signbit(value) ? -power : power);
  }
  return rc::seq::fromContainer(std::move(out));
}

rc::Shrinkable<double> ValueDistribution::operator()(const rc::Random& random, int /*size*/) const {
  rc::Random state = random;
  SplitMix64 stream(state.next());
  return rc::shrinkable::shrinkRecur(draw(stream), &simpler_values);
}

rc::Gen<std::vector<double>> drawn_values(ValueDistribution values, std::size_t count) {
  return rc::Gen<std::vector<double>>([values = std::move(values), count](const rc::Random& random, int /*size*/) {
    rc::Random state = random;
    SplitMix64 stream(state.next());
    std::vector<double> out(count);
    for (double& v : out) v = values.draw(stream);
    return rc::shrinkable::shrinkRecur(std::move(out), [](const std::vector<double>& row) {
      return rc::shrink::eachElement(row, &simpler_values);
    });
  });
}

}  // namespace normcheck::props
