// Writer for harness/bias_json.hpp.
#include "harness/bias_json.hpp"

#include <cmath>

namespace normcheck::harness {

nlohmann::json bias_json(const BiasFigures& b) {
  using nlohmann::json;
  const auto finite_or_null = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  json tests = json::array();
  for (const auto& t : b.tests) {
    tests.push_back(
        {{"test", bias_test_name(t.kind)},
         {"cases", t.cases},
         {"statistic", t.statistic},
         {"null_bound", t.null_bound},
         {"critical", finite_or_null(t.critical)},  // null: no statistic is a finding yet
         {"p_value", t.p_value}});
  }
  return {{"applicable", b.applicable()},
          {"cases", b.cases},
          {"rows", b.rows},
          {"outputs", b.outputs},
          {"mean_signed_error", b.mean_error},
          {"mean_toward_zero", b.mean_toward_zero},
          {"toward_zero_fraction", b.toward_zero_fraction},
          {"misrounded_fraction", b.misrounded_fraction},
          {"misrounded_rows", b.misrounded_rows},
          {"row_coherence", b.row_coherence},
          {"p_value", b.p_value},
          {"false_alarm_rate", kBiasFalseAlarmRate},
          {"strongest_test", bias_test_name(b.strongest)},
          {"finding", b.finding},
          {"tests", tests}};
}

}  // namespace normcheck::harness
