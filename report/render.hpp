// The report's three renderings of one ReportModel: JSON (every number, schema in
// docs/report.schema.json), Markdown (tables for a pull request) and HTML (offline charts).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "report/report_model.hpp"
#include "report/web_assets.hpp"

namespace normcheck::harness::report {

// Non-finite numbers become the strings "inf", "-inf", "nan" (JSON has no such numbers).
nlohmann::json number_json(double value);

nlohmann::json report_to_json(const ReportModel& model);
std::string render_markdown(const ReportModel& model);
// report_json is report_to_json(model): the page's charts are drawn from it.
std::string render_html(const ReportModel& model, const nlohmann::json& report_json, const WebAssets& assets);

// Short human form of an error: "0.5", "1.2e+03", "inf", "nan".
std::string format_error(double value);

// A safe-domain bound as the tables show it: "2^63.5 (1.3e+19)", or "-" when not bounded.
std::string domain_bound_text(const std::optional<double>& bound);
// The bias figures in a cell: "+0.001 ulp, 0.0% misrounded, p = 1", or "n/a" when no
// output qualified; "FINDING" is added when the test would fail in check.
std::string bias_text(const BiasFigures& bias);

}  // namespace normcheck::harness::report
