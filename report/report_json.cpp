// report.json: every number of the report (schema: docs/report.schema.json).
#include <cmath>
#include <fmt/format.h>

#include "harness/bias_json.hpp"
#include "harness/domain_json.hpp"
#include "report/render.hpp"
#include "reference/format.hpp"

namespace normcheck::harness::report {

using nlohmann::json;

json number_json(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return value;
}

std::string format_error(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return fmt::format("{:.3g}", value);
}

namespace {

json optional_number(const std::optional<double>& value) { return value ? number_json(*value) : json(nullptr); }

json stats_json(const ErrorStats& s) {
  return {{"count", s.count}, {"max", number_json(s.max)}, {"p99", number_json(s.p99)}, {"mean", number_json(s.mean)}};
}

json tally_json(const Tally& t) {
  return {{"verdict", verdict_name(t.verdict())},
          {"cases", t.cases},
          {"skipped", t.skipped},
          {"failed", t.failed},
          {"outputs", t.outputs},
          {"special_mismatches", t.special_mismatches},
          {"worst_score", number_json(t.worst_score)},
          {"worst_ulp_error", number_json(t.worst_ulp_error)},
          {"first_violation", t.first_violation}};
}

json budget_json(const Budget& b) {
  return {{"max_score", number_json(b.max_score)},
          {"max_ulp", b.max_ulp ? json(*b.max_ulp) : json(nullptr)},
          {"special", b.special == SpecialPolicy::strict ? "strict" : "ignore"},
          {"compute", ref::format_name(b.compute)},
          {"max_abs_x", optional_number(b.max_abs_x)},
          {"score_per_log2n", number_json(b.score_per_log2n)},
          {"bias", b.bias_test}};
}

json histogram_json(const Histogram& h) {
  json edges = json::array();
  for (double e : h.edges) edges.push_back(number_json(e));
  return {{"edges", edges}, {"counts", h.counts}};
}

json sweep_json(const Sweep& s) {
  json points = json::array();
  for (const SweepPoint& p : s.points)
    points.push_back({{"parameter", number_json(p.parameter)},
                      {"achieved", optional_number(p.achieved)},
                      {"rows", p.rows},
                      {"n", p.n},
                      {"eps", number_json(p.eps)},
                      {"ulp_error", stats_json(p.ulp)},
                      {"score", stats_json(p.score)},
                      {"tally", tally_json(p.tally)}});
  return {{"id", s.id}, {"title", s.title}, {"parameter", s.parameter}, {"points", points}};
}

json worst_case_json(const WorstCase& w) {
  return {{"source", w.source},
          {"file", w.file},
          {"replay", w.replay},
          {"failed", w.failed},
          {"score", number_json(w.score)},
          {"ulp_error", number_json(w.ulp_error)},
          {"violation", w.violation},
          {"domain", w.domain ? domain_json(*w.domain) : json(nullptr)}};
}

json kernel_json(const KernelReport& k) {
  json sweeps = json::array(), grid = json::array(), edges = json::array(), worst = json::array();
  for (const Sweep& s : k.sweeps) sweeps.push_back(sweep_json(s));
  for (const EpsCell& c : k.eps_grid)
    grid.push_back({{"eps", number_json(c.eps)},
                    {"var_over_eps", number_json(c.var_over_eps)},
                    {"achieved", optional_number(c.achieved)},
                    {"representable", c.representable},
                    {"kappa_eps_max", number_json(c.kappa_eps_max)},
                    {"tally", tally_json(c.tally)}});
  for (const EdgeCase& e : k.edge_cases)
    edges.push_back({{"id", e.id}, {"title", e.title}, {"verdict", verdict_name(e.verdict)}, {"tally", tally_json(e.tally)}});
  for (const WorstCase& w : k.worst_cases) worst.push_back(worst_case_json(w));
  return {{"name", k.name},
          {"op", k.op},
          {"x_dtype", k.x_dtype},
          {"param_dtype", k.param_dtype},
          {"y_dtype", k.y_dtype},
          {"compute", k.compute},
          {"flags", k.flags},
          {"origin", k.origin},
          {"mutant", k.mutant},
          {"bug_class", k.bug_class},
          {"budget", budget_json(k.budget)},
          {"verdict", verdict_name(k.overall.kernel_verdict())},
          {"overall", tally_json(k.overall)},
          {"ulp_error", stats_json(k.ulp)},
          {"score", stats_json(k.score)},
          {"ulp_histogram", histogram_json(k.ulp_histogram)},
          {"sweeps", sweeps},
          {"eps_grid", grid},
          {"edge_cases", edges},
          {"worst_cases", worst},
          {"domain", domain_bounds_json(k.domain)},
          {"bias", bias_json(k.bias)},
          {"seconds", number_json(k.seconds)}};
}

json gradient_json(const GradientErrors& g) {
  return {{"output", g.output},
          {"outputs", g.outputs},
          {"max_score", number_json(g.max_score)},
          {"max_ulp_error", number_json(g.max_ulp_error)}};
}

json backward_kernel_json(const BackwardKernelReport& k) {
  json gradients = json::array(), scenarios = json::array(), rows = json::array(), worst = json::array();
  for (const GradientErrors& g : k.gradients) gradients.push_back(gradient_json(g));
  for (const BackwardScenario& s : k.scenarios)
    scenarios.push_back({{"id", s.id}, {"title", s.title}, {"tally", tally_json(s.tally)}});
  for (const RowsPoint& p : k.dgamma_versus_rows)
    rows.push_back({{"rows", p.rows}, {"n", p.n}, {"dgamma", gradient_json(p.dgamma)}, {"tally", tally_json(p.tally)}});
  for (const WorstCase& w : k.worst_cases) worst.push_back(worst_case_json(w));
  return {{"name", k.name},
          {"op", k.op},
          {"x_dtype", k.x_dtype},
          {"param_dtype", k.param_dtype},
          {"dy_dtype", k.dy_dtype},
          {"compute", k.compute},
          {"origin", k.origin},
          {"mutant", k.mutant},
          {"bug_class", k.bug_class},
          {"budget", budget_json(k.budget)},
          {"verdict", verdict_name(k.overall.kernel_verdict())},
          {"overall", tally_json(k.overall)},
          {"gradients", gradients},
          {"scenarios", scenarios},
          {"dgamma_versus_rows", rows},
          {"worst_cases", worst},
          {"seconds", number_json(k.seconds)}};
}

}  // namespace

json report_to_json(const ReportModel& model) {
  const Environment& e = model.environment;
  json kernels = json::array();
  for (const KernelReport& k : model.kernels) kernels.push_back(kernel_json(k));
  json backward = json::array();
  for (const BackwardKernelReport& k : model.backward_kernels) backward.push_back(backward_kernel_json(k));
  json eps = json::array(), ratios = json::array();
  for (double v : model.eps_values) eps.push_back(number_json(v));
  for (double v : model.var_over_eps_values) ratios.push_back(number_json(v));
  return {{"schema_version", model.schema_version},
          {"generated_at", model.generated_at},
          {"command", model.command},
          {"seed", model.seed},
          {"quick", model.quick},
          {"threads", model.threads},
          {"wall_seconds", number_json(model.wall_seconds)},
          {"environment",
           {{"normcheck", e.normcheck_version},
            {"compiler", e.compiler},
            {"boost", e.boost_version},
            {"gmp", e.gmp},
            {"mpfr", e.mpfr},
            {"onednn", e.onednn_version},
            {"cpu_model", e.cpu_model},
            {"hardware_threads", e.hardware_threads}}},
          {"eps_values", eps},
          {"var_over_eps_values", ratios},
          {"kernels", kernels},
          {"backward_kernels", backward}};
}

}  // namespace normcheck::harness::report
