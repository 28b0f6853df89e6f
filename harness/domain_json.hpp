// The safe input domain as JSON, the same in check's --json and in report.json.
#pragma once

#include <nlohmann/json.hpp>

#include "harness/safe_domain.hpp"

namespace normcheck::harness {

// A finding's measurement: bound, side, shape, likely cause, the failure beyond it.
nlohmann::json domain_json(const SafeDomain& domain);

// A kernel's {"max_abs_x": ..., "min_abs_x": ...}, null where no finding bounded that side.
nlohmann::json domain_bounds_json(const DomainBounds& bounds);

}  // namespace normcheck::harness
