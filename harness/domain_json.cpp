// Writers for harness/domain_json.hpp.
#include "harness/domain_json.hpp"

#include "harness/hex_float.hpp"

namespace normcheck::harness {
namespace {

nlohmann::json number_or_null(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json domain_json(const SafeDomain& d) {
  const bool upper = d.side == DomainSide::upper;
  return {{upper ? "max_abs_x" : "min_abs_x", d.abs_x},
          {"log2", d.log2_abs_x()},
          {"exact", hex_float(d.abs_x)},
          {"failing_abs_x", d.failing_abs_x},
          {"n", d.n},
          {"rows", d.rows},
          {"compute", ref::format_name(d.compute)},
          {"cause", domain_cause_name(d.cause)},
          {"also_cause", d.also_cause ? nlohmann::json(domain_cause_name(*d.also_cause))
                                      : nlohmann::json(nullptr)},
          {"failing_class", class_name(d.failing_class)},
          {"failing_message", d.failing_message},
          {"evaluations", d.evaluations},
          {"text", describe_domain(d)}};
}

nlohmann::json domain_bounds_json(const DomainBounds& bounds) {
  return {{"max_abs_x", number_or_null(bounds.max_abs_x)},
          {"min_abs_x", number_or_null(bounds.min_abs_x)}};
}

}  // namespace normcheck::harness
