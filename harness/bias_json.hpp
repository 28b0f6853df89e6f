// The rounding-bias figures as JSON, the same in check's --json and in report.json.
#pragma once

#include <nlohmann/json.hpp>

#include "harness/bias_statistics.hpp"

namespace normcheck::harness {

// Every figure and test, pass or fail, so that the margin to a finding shows.
nlohmann::json bias_json(const BiasFigures& figures);

}  // namespace normcheck::harness
