// index.html: one self-contained page (tables in HTML, charts drawn by the inlined
// vega / vega-lite / vega-embed bundles from the embedded report.json), viewable offline.
#include <cctype>
#include <fmt/format.h>
#include <string>

#include "report/page_script.hpp"
#include "harness/markup_escape.hpp"
#include "report/render.hpp"
#include "reference/format.hpp"

namespace normcheck::harness::report {

namespace {


// Text inside <script> ends at the first "</script" (any case). A bundle is left alone
// except for that sequence ("<\/script" means the same in JavaScript strings and regular
// expressions; a bare "</" must stay, e.g. in the regex /</g).
std::string script_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] == '<' && i + 7 < text.size() && text[i + 1] == '/') {
      std::string word(text.substr(i + 2, 6));
      for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (word == "script") out += '\\';
    }
  }
  return out;
}

// In JSON, "</" can only occur inside strings, where "<\/" is the same string.
std::string json_script_safe(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (std::size_t i = 0; i < json.size(); ++i) {
    out += json[i];
    if (json[i] == '<' && i + 1 < json.size() && json[i + 1] == '/') out += '\\';
  }
  return out;
}

std::string verdict_td(Verdict v, const std::string& content, const std::string& title = "") {
  const char* klass = v == Verdict::pass                               ? "pass"
                      : v == Verdict::fail || v == Verdict::no_cases ? "fail"
                      : v == Verdict::skipped                        ? "skipped"
                                                                     : "na";
  return fmt::format("<td class=\"{}\" title=\"{}\">{}</td>", klass, markup_escape(title), content);
}

void summary(std::string& html, const ReportModel& model) {
  html += "<h2>Summary</h2><p class=\"note\">ULP error and condition-aware score over every finite output of the "
          "three sweeps; the verdict covers every case (sweeps, eps grid, edge cases).</p>\n<table><tr>"
          "<th class=\"name\">kernel</th><th>op</th><th>x / param / y</th><th>compute</th><th>verdict</th>"
          "<th>cases</th><th>failed</th><th>skipped</th><th>max ULP</th><th>p99 ULP</th><th>mean ULP</th>"
          "<th>max score</th><th>p99 score</th><th>mean score</th><th>budget score</th></tr>\n";
  for (const KernelReport& k : model.kernels) {
    html += fmt::format("<tr><td class=\"name\">{}</td><td>{}</td><td>{} / {} / {}</td><td>{}</td>", markup_escape(k.name),
                        k.op, k.x_dtype, k.param_dtype, k.y_dtype, k.compute);
    html += verdict_td(k.overall.kernel_verdict(), std::string(verdict_name(k.overall.kernel_verdict())), k.overall.first_violation);
    html += fmt::format("<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}"
                        "</td><td>{}</td></tr>\n",
                        k.overall.cases, k.overall.failed, k.overall.skipped, format_error(k.ulp.max),
                        format_error(k.ulp.p99), format_error(k.ulp.mean), format_error(k.score.max),
                        format_error(k.score.p99), format_error(k.score.mean), format_error(k.budget.max_score));
  }
  html += "</table>\n";
}

void charts(std::string& html) {
  html += R"(<h2>ULP error histogram</h2><div class="chart" id="chart-histogram"></div>
<h2>Error versus row length n</h2><p class="note">Rows of N(0.5, 1), typical gamma / beta, eps = 1e-5.</p>
<div class="chart" id="chart-n"></div>
<h2>Error versus |mean| / std</h2><p class="note">Rows of 1 + N(0, 1) / r with eps / var fixed at 1e-5: only the
cancellation in x - mean changes. Rounding to the dtype caps the achieved ratio near 2^p (report.json has it).</p>
<div class="chart" id="chart-mean_over_std"></div>
<h2>Error versus magnitude</h2><p class="note">Rows of 2^k (0.5 + N(0, 1)) across the dtype's exponent range;
eps = 1e-5 4^k while that is a normal f32 value, else 0.</p><div class="chart" id="chart-magnitude"></div>
<h2>Epsilon sensitivity</h2><p class="note">Worst score per cell (FAIL in red); rows of variance (var/eps) eps. For
eps = 0 the column is the variance itself, so var/eps = 0 there means var + eps = 0 and every output must be NaN.
The tooltip shows the largest kappa_eps.</p><div class="chart" id="chart-eps"></div>
)";
}

void edge_matrix(std::string& html, const ReportModel& model) {
  if (model.kernels.empty()) return;
  html += "<h2>Edge cases</h2><table><tr><th class=\"name\">kernel</th>";
  for (const EdgeCase& e : model.kernels.front().edge_cases) html += "<th>" + markup_escape(e.title) + "</th>";
  html += "</tr>\n";
  for (const KernelReport& k : model.kernels) {
    html += "<tr><td class=\"name\">" + markup_escape(k.name) + "</td>";
    for (const EdgeCase& e : k.edge_cases) {
      std::string content(verdict_name(e.verdict));
      if (e.verdict == Verdict::pass || e.verdict == Verdict::fail) content += "<br>" + format_error(e.tally.worst_score);
      html += verdict_td(e.verdict, content, e.tally.first_violation);
    }
    html += "</tr>\n";
  }
  html += "</table><p class=\"note\">Cells show the worst score; hover a failing cell for its first violation.</p>\n";
}

void worst_cases(std::string& html, const ReportModel& model) {
  html += "<h2>Worst cases</h2><table><tr><th class=\"name\">kernel</th><th class=\"name\">from</th><th>verdict</th>"
          "<th>score</th><th>ULP error</th><th class=\"name\">replay</th></tr>\n";
  for (const KernelReport& k : model.kernels)
    for (const WorstCase& w : k.worst_cases) {
      html += fmt::format("<tr><td class=\"name\">{}</td><td class=\"name\">{}</td>", markup_escape(k.name), markup_escape(w.source));
      html += verdict_td(w.failed ? Verdict::fail : Verdict::pass, w.failed ? "fail" : "pass", w.violation);
      html += fmt::format("<td>{}</td><td>{}</td><td class=\"name\"><code>{}</code></td></tr>\n", format_error(w.score),
                          format_error(w.ulp_error), markup_escape(w.replay));
    }
  html += "</table>\n";
}

// The safe input domain (measured on failing worst cases of extreme magnitude) and the
// rounding-bias figures, per kernel.
void domain_and_bias(std::string& html, const ReportModel& model) {
  html += "<h2>Safe input domain and rounding bias</h2><p class=\"note\">Domain: measured on each failing worst case "
          "of extreme magnitude, scaled in half binades (-: not bounded). Bias: mean signed error of the sweeps' "
          "outputs, misrounded share and the bias test's p.</p>\n<table><tr><th class=\"name\">kernel</th>"
          "<th>max |x|</th><th>min |x|</th><th>bias</th><th class=\"name\">domain</th></tr>\n";
  for (const KernelReport& k : model.kernels) {
    std::string lines;
    for (const WorstCase& w : k.worst_cases)
      if (w.domain) lines += (lines.empty() ? "" : "<br>") + markup_escape(describe_domain(*w.domain));
    html += fmt::format("<tr><td class=\"name\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"name\">{}</td></tr>\n",
                        markup_escape(k.name), domain_bound_text(k.domain.max_abs_x),
                        domain_bound_text(k.domain.min_abs_x), markup_escape(bias_text(k.bias)), lines);
  }
  html += "</table>\n";
}

std::string gradient_td(const std::vector<GradientErrors>& gradients, const std::string& output) {
  for (const GradientErrors& g : gradients)
    if (g.output == output)
      return fmt::format("<td>{}</td><td>{}</td>", format_error(g.max_score), format_error(g.max_ulp_error));
  return "<td>-</td><td>-</td>";
}

// The backward kernels: gradients' errors, scenarios, dgamma versus rows, failing cases.
void backward(std::string& html, const ReportModel& model) {
  if (model.backward_kernels.empty()) return;
  html += "<h2>Backward pass</h2><p class=\"note\">Exact gradients against each backward kernel: max score and max "
          "ULP error of dx, dgamma and dbeta over every case of the scenarios and the rows sweep.</p>\n<table><tr>"
          "<th class=\"name\">kernel</th><th>op</th><th>x / param / dy</th><th>compute</th><th>verdict</th>"
          "<th>cases</th><th>dx score</th><th>dx ULP</th><th>dgamma score</th><th>dgamma ULP</th><th>dbeta score</th>"
          "<th>dbeta ULP</th><th>budget score</th></tr>\n";
  for (const BackwardKernelReport& k : model.backward_kernels) {
    html += fmt::format("<tr><td class=\"name\">{}</td><td>{}</td><td>{} / {} / {}</td><td>{}</td>", markup_escape(k.name),
                        k.op, k.x_dtype, k.param_dtype, k.dy_dtype, k.compute);
    html += verdict_td(k.overall.kernel_verdict(), std::string(verdict_name(k.overall.kernel_verdict())),
                       k.overall.first_violation);
    html += fmt::format("<td>{}</td>", k.overall.cases) + gradient_td(k.gradients, "dx") +
            gradient_td(k.gradients, "dgamma") + gradient_td(k.gradients, "dbeta") +
            fmt::format("<td>{}</td></tr>\n", format_error(k.budget.max_score));
  }
  html += "</table>\n<h3>Scenarios</h3><table><tr><th class=\"name\">kernel</th>";
  for (const BackwardScenario& s : model.backward_kernels.front().scenarios) html += "<th>" + markup_escape(s.title) + "</th>";
  html += "</tr>\n";
  for (const BackwardKernelReport& k : model.backward_kernels) {
    html += "<tr><td class=\"name\">" + markup_escape(k.name) + "</td>";
    for (const BackwardScenario& s : k.scenarios)
      html += verdict_td(s.tally.verdict(), std::string(verdict_name(s.tally.verdict())) + "<br>" +
                                                format_error(s.tally.worst_score),
                         s.tally.first_violation);
    html += "</tr>\n";
  }
  html += "</table>\n<h3>dgamma error versus rows</h3><p class=\"note\">dgamma's max score for batches of rows of "
          "N(0, 1) x and dy (rows x n on the columns; the verdict is the whole case's).</p>\n<table>";
  html += "<tr><th class=\"name\">kernel</th>";
  for (const RowsPoint& p : model.backward_kernels.front().dgamma_versus_rows)
    html += fmt::format("<th>{} x {}</th>", p.rows, p.n);
  html += "</tr>\n";
  for (const BackwardKernelReport& k : model.backward_kernels) {
    html += "<tr><td class=\"name\">" + markup_escape(k.name) + "</td>";
    for (const RowsPoint& p : k.dgamma_versus_rows)
      html += verdict_td(p.tally.verdict(), format_error(p.dgamma.max_score), p.tally.first_violation);
    html += "</tr>\n";
  }
  html += "</table>\n";
  std::string failing;
  for (const BackwardKernelReport& k : model.backward_kernels)
    for (const WorstCase& w : k.worst_cases)
      failing += fmt::format("<tr><td class=\"name\">{}</td><td class=\"name\">{}</td>{}<td>{}</td><td class=\"name\">"
                             "<code>{}</code></td></tr>\n",
                             markup_escape(k.name), markup_escape(w.source),
                             verdict_td(w.failed ? Verdict::fail : Verdict::pass, w.failed ? "fail" : "pass", w.violation),
                             format_error(w.score), markup_escape(w.replay));
  if (failing.empty()) return;
  html += "<h3>Failing backward cases (minimized)</h3><table><tr><th class=\"name\">kernel</th><th class=\"name\">from"
          "</th><th>verdict</th><th>score</th><th class=\"name\">replay</th></tr>\n" + failing + "</table>\n";
}

void environment(std::string& html, const ReportModel& model) {
  const Environment& e = model.environment;
  html += fmt::format(
      "<h2>Environment</h2><table><tr><th>normcheck</th><td>{}</td></tr><tr><th>compiler</th><td>{}</td></tr>"
      "<tr><th>Boost</th><td>{}</td></tr><tr><th>GMP</th><td>{}</td></tr><tr><th>MPFR</th><td>{}</td></tr>"
      "<tr><th>oneDNN</th><td>{}</td></tr><tr><th>CPU</th><td>{} ({} hardware threads, {} used)</td></tr>"
      "<tr><th>seed</th><td>{}{}</td></tr><tr><th>wall time</th><td>{:.1f} s</td></tr>"
      "<tr><th>command</th><td><code>{}</code></td></tr></table>\n",
      markup_escape(e.normcheck_version), markup_escape(e.compiler), markup_escape(e.boost_version), markup_escape(e.gmp),
      markup_escape(e.mpfr), markup_escape(e.onednn_version), markup_escape(e.cpu_model), e.hardware_threads, model.threads,
      model.seed, model.quick ? " (--quick)" : "", model.wall_seconds, markup_escape(model.command));
  html += "<h3>Kernels and budgets</h3><table><tr><th class=\"name\">kernel</th><th>origin</th><th>flags</th>"
          "<th>max score</th><th>+ per log2 n</th><th>max ULP</th><th>special</th><th>u_c of</th><th>max |x|</th></tr>\n";
  for (const KernelReport& k : model.kernels) {
    const Budget& b = k.budget;
    html += fmt::format(
        "<tr><td class=\"name\">{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td>{}</td></tr>\n",
        markup_escape(k.name), k.mutant ? " (mutant: " + markup_escape(k.bug_class) + ")" : std::string(), markup_escape(k.origin),
        markup_escape(k.flags), format_error(b.max_score), format_error(b.score_per_log2n),
        b.max_ulp ? std::to_string(*b.max_ulp) : std::string("-"),
        b.special == SpecialPolicy::strict ? "strict" : "ignore", ref::format_name(b.compute),
        b.max_abs_x ? format_error(*b.max_abs_x) : std::string("-"));
  }
  html += "</table>\n";
}

}  // namespace

std::string render_html(const ReportModel& model, const nlohmann::json& report_json, const WebAssets& assets) {
  std::string html = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                     "<title>normcheck accuracy report</title>\n<style>";
  html += kPageStyle;
  html += "</style>\n";
  for (const std::string* bundle : {&assets.vega, &assets.vega_lite, &assets.vega_embed})
    html += "<script>" + script_safe(*bundle) + "</script>\n";
  html += fmt::format("</head><body>\n<h1>normcheck accuracy report</h1>\n<p>{} kernel(s), {} backward, seed {}{}, "
                      "generated {}.</p>\n",
                      model.kernels.size(), model.backward_kernels.size(), model.seed, model.quick ? " (--quick)" : "",
                      markup_escape(model.generated_at));
  summary(html, model);
  charts(html);
  edge_matrix(html, model);
  worst_cases(html, model);
  domain_and_bias(html, model);
  backward(html, model);
  environment(html, model);
  html += "<script type=\"application/json\" id=\"report-data\">" + json_script_safe(report_json.dump()) + "</script>\n";
  html += "<script>";
  html += kPageScript;
  html += "</script>\n</body></html>\n";
  return html;
}

}  // namespace normcheck::harness::report
