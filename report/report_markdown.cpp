// report.md: the report's tables, kernels side by side, for a pull request.
#include <fmt/format.h>
#include <string>

#include "report/render.hpp"
#include "reference/format.hpp"

namespace normcheck::harness::report {

namespace {

// A table cell: '|' would end the cell early.
std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string verdict_cell(Verdict v) {
  if (v == Verdict::fail) return "**FAIL**";
  return v == Verdict::no_cases ? "**NO CASES**" : std::string(verdict_name(v));
}

std::string tally_cell(const Tally& t) {
  const Verdict v = t.verdict();
  if (v == Verdict::not_applicable || v == Verdict::skipped) return std::string(verdict_name(v));
  return fmt::format("{} {}", verdict_cell(v), format_error(t.worst_score));
}

void summary(std::string& md, const ReportModel& model) {
  md += "## Summary\n\n";
  md += "ULP error and score over every finite output of the three sweeps; verdicts over all cases "
        "(sweeps, eps grid, edge cases).\n\n";
  md += "| kernel | op | x / param / y | compute | verdict | cases (failed, skipped) | max ULP | p99 ULP | mean ULP "
        "| max score | p99 score | mean score | budget: score / ULP |\n";
  md += "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const KernelReport& k : model.kernels) {
    md += fmt::format("| `{}` | {} | {} / {} / {} | {} | {} | {} ({}, {}) | {} | {} | {} | {} | {} | {} | {} / {} |\n",
                      k.name, k.op, k.x_dtype, k.param_dtype, k.y_dtype, k.compute, verdict_cell(k.overall.kernel_verdict()),
                      k.overall.cases, k.overall.failed, k.overall.skipped, format_error(k.ulp.max),
                      format_error(k.ulp.p99), format_error(k.ulp.mean), format_error(k.score.max),
                      format_error(k.score.p99), format_error(k.score.mean), format_error(k.budget.max_score),
                      k.budget.max_ulp ? std::to_string(*k.budget.max_ulp) : std::string("-"));
  }
  md += "\n";
}

void sweeps(std::string& md, const ReportModel& model) {
  if (model.kernels.empty()) return;
  for (std::size_t s = 0; s < model.kernels.front().sweeps.size(); ++s) {
    const Sweep& first = model.kernels.front().sweeps[s];
    md += fmt::format("## {}\n\nMax score per point (cases that failed are marked **FAIL**); {} on the columns.\n\n",
                      first.title, first.parameter);
    for (const KernelReport& k : model.kernels) {
      // Each kernel gets its own header row: the magnitude axis depends on the dtype.
      const Sweep& sweep = k.sweeps[s];
      md += "| kernel |";
      for (const SweepPoint& p : sweep.points) md += fmt::format(" {:g} |", p.parameter);
      md += "\n|---|";
      for (std::size_t i = 0; i < sweep.points.size(); ++i) md += "---|";
      md += fmt::format("\n| `{}` |", k.name);
      for (const SweepPoint& p : sweep.points) md += fmt::format(" {} |", tally_cell(p.tally));
      md += "\n\n";
    }
  }
}

void eps_grid(std::string& md, const ReportModel& model) {
  md += "## Epsilon sensitivity\n\nRows: eps; columns: var / eps (for eps = 0, the variance itself). Each cell: "
        "verdict, worst score, max kappa_eps; `*` marks a cell whose rows could not reach the target var / eps in "
        "the dtype (the achieved value is in report.json).\n\n";
  for (const KernelReport& k : model.kernels) {
    md += fmt::format("<details><summary><code>{}</code>: {}</summary>\n\n| eps \\ var/eps |", k.name,
                      verdict_name(k.overall.kernel_verdict()));
    for (double r : model.var_over_eps_values) md += fmt::format(" {:g} |", r);
    md += "\n|---|";
    for (std::size_t i = 0; i < model.var_over_eps_values.size(); ++i) md += "---|";
    md += "\n";
    const std::size_t columns = model.var_over_eps_values.size();
    for (std::size_t row = 0; row * columns < k.eps_grid.size(); ++row) {
      md += fmt::format("| {:g} |", k.eps_grid[row * columns].eps);
      for (std::size_t c = 0; c < columns && row * columns + c < k.eps_grid.size(); ++c) {
        const EpsCell& e = k.eps_grid[row * columns + c];
        md += fmt::format(" {} κ={}{} |", tally_cell(e.tally), format_error(e.kappa_eps_max), e.representable ? "" : " *");
      }
      md += "\n";
    }
    md += "\n</details>\n\n";
  }
}

void edge_matrix(std::string& md, const ReportModel& model) {
  if (model.kernels.empty()) return;
  md += "## Edge cases\n\nEach cell: verdict and worst score.\n\n| kernel |";
  for (const EdgeCase& e : model.kernels.front().edge_cases) md += fmt::format(" {} |", cell(e.title));
  md += "\n|---|";
  for (std::size_t i = 0; i < model.kernels.front().edge_cases.size(); ++i) md += "---|";
  md += "\n";
  for (const KernelReport& k : model.kernels) {
    md += fmt::format("| `{}` |", k.name);
    for (const EdgeCase& e : k.edge_cases) {
      const std::string detail = e.verdict == Verdict::fail && !e.tally.first_violation.empty()
                                     ? fmt::format("<br>{}", cell(e.tally.first_violation.substr(0, 80)))
                                     : std::string();
      md += fmt::format(" {}{} |", e.verdict == Verdict::not_applicable ? std::string("n/a") : tally_cell(e.tally),
                        detail);
    }
    md += "\n";
  }
  md += "\n";
}

void worst_cases(std::string& md, const ReportModel& model) {
  md += "## Worst cases\n\n| kernel | from | verdict | score | ULP error | replay |\n|---|---|---|---|---|---|\n";
  for (const KernelReport& k : model.kernels)
    for (const WorstCase& w : k.worst_cases)
      md += fmt::format("| `{}` | {} | {} | {} | {} | `{}` |\n", k.name, cell(w.source),
                        w.failed ? "**FAIL** " + cell(w.violation.substr(0, 80)) : std::string("pass"),
                        format_error(w.score), format_error(w.ulp_error), w.replay);
  md += "\n";
}

// The safe input domain (measured on failing worst cases of extreme magnitude) and the
// rounding-bias figures, per kernel.
void domain_and_bias(std::string& md, const ReportModel& model) {
  md += "## Safe input domain and rounding bias\n\n";
  md += "Domain: measured on each failing worst case of extreme magnitude, scaled in half binades (\"-\": not "
        "bounded). Bias: mean signed error of the sweeps' outputs, misrounded share and the bias test's p "
        "(docs/error-measures.md).\n\n";
  md += "| kernel | max abs x | min abs x | bias |\n|---|---|---|---|\n";
  for (const KernelReport& k : model.kernels)
    md += fmt::format("| `{}` | {} | {} | {} |\n", k.name, domain_bound_text(k.domain.max_abs_x),
                      domain_bound_text(k.domain.min_abs_x), bias_text(k.bias));
  md += "\n";
  for (const KernelReport& k : model.kernels)
    for (const WorstCase& w : k.worst_cases)
      if (w.domain) md += fmt::format("- `{}` ({}): {}\n", k.name, cell(w.source), cell(describe_domain(*w.domain)));
  md += "\n";
}

// A gradient's cell: max score and max ULP error.
std::string gradient_cell(const std::vector<GradientErrors>& gradients, const std::string& output) {
  for (const GradientErrors& g : gradients)
    if (g.output == output) return fmt::format("{} / {}", format_error(g.max_score), format_error(g.max_ulp_error));
  return "-";
}

void backward(std::string& md, const ReportModel& model) {
  if (model.backward_kernels.empty()) return;
  md += "## Backward pass\n\nExact gradients against each backward kernel (docs/error-measures.md, \"The backward "
        "pass\"): max score / max ULP error of dx, dgamma and dbeta over every case of the scenarios and the rows "
        "sweep.\n\n";
  md += "| kernel | op | x / param / dy | compute | verdict | cases (failed, skipped) | dx | dgamma | dbeta | budget "
        "score |\n|---|---|---|---|---|---|---|---|---|---|\n";
  for (const BackwardKernelReport& k : model.backward_kernels)
    md += fmt::format("| `{}`{} | {} | {} / {} / {} | {} | {} | {} ({}, {}) | {} | {} | {} | {} |\n", k.name,
                      k.mutant ? " (mutant: " + cell(k.bug_class) + ")" : std::string(), k.op, k.x_dtype,
                      k.param_dtype, k.dy_dtype, k.compute, verdict_cell(k.overall.kernel_verdict()), k.overall.cases,
                      k.overall.failed, k.overall.skipped, gradient_cell(k.gradients, "dx"),
                      gradient_cell(k.gradients, "dgamma"), gradient_cell(k.gradients, "dbeta"),
                      format_error(k.budget.max_score));
  md += "\n### Scenarios\n\nEach cell: verdict and worst score.\n\n| kernel |";
  for (const BackwardScenario& s : model.backward_kernels.front().scenarios) md += fmt::format(" {} |", cell(s.title));
  md += "\n|---|";
  for (std::size_t i = 0; i < model.backward_kernels.front().scenarios.size(); ++i) md += "---|";
  md += "\n";
  for (const BackwardKernelReport& k : model.backward_kernels) {
    md += fmt::format("| `{}` |", k.name);
    for (const BackwardScenario& s : k.scenarios) md += fmt::format(" {} |", tally_cell(s.tally));
    md += "\n";
  }
  md += "\n### dgamma error versus rows\n\ndgamma's max score (the verdict is the whole case's) for batches of "
        "rows of N(0, 1) x and dy; rows on the columns.\n\n";
  // Every kernel has the same points (dgamma_rows_values): one header.
  md += "| kernel |";
  for (const RowsPoint& p : model.backward_kernels.front().dgamma_versus_rows) md += fmt::format(" {} x {} |", p.rows, p.n);
  md += "\n|---|";
  for (std::size_t i = 0; i < model.backward_kernels.front().dgamma_versus_rows.size(); ++i) md += "---|";
  md += "\n";
  for (const BackwardKernelReport& k : model.backward_kernels) {
    md += fmt::format("| `{}` |", k.name);
    for (const RowsPoint& p : k.dgamma_versus_rows)
      md += fmt::format(" {} {} |", verdict_cell(p.tally.verdict()), format_error(p.dgamma.max_score));
    md += "\n";
  }
  md += "\n";
  bool any_case = false;
  for (const BackwardKernelReport& k : model.backward_kernels) any_case = any_case || !k.worst_cases.empty();
  if (!any_case) return;
  md += "### Failing backward cases (minimized)\n\n| kernel | from | verdict | score | replay |\n|---|---|---|---|---|\n";
  for (const BackwardKernelReport& k : model.backward_kernels)
    for (const WorstCase& w : k.worst_cases)
      md += fmt::format("| `{}` | {} | {} | {} | `{}` |\n", k.name, cell(w.source),
                        w.failed ? "**FAIL** " + cell(w.violation.substr(0, 80)) : std::string("pass"),
                        format_error(w.score), w.replay);
  md += "\n";
}

void environment(std::string& md, const ReportModel& model) {
  const Environment& e = model.environment;
  md += "## Environment\n\n";
  md += fmt::format(
      "- normcheck {}, {}, Boost {}, GMP {}, MPFR {}, oneDNN {}\n- CPU: {} ({} hardware threads, {} used)\n"
      "- seed {}{}, {:.1f} s wall\n- command: `{}`\n\n",
      e.normcheck_version, e.compiler, e.boost_version, e.gmp, e.mpfr, e.onednn_version, e.cpu_model,
      e.hardware_threads, model.threads, model.seed, model.quick ? " (--quick)" : "", model.wall_seconds,
      model.command);
  md += "| kernel | origin | flags | budget max score | + per log2 n | max ULP | special | compute | max abs x |\n";
  md += "|---|---|---|---|---|---|---|---|---|\n";
  for (const KernelReport& k : model.kernels) {
    const Budget& b = k.budget;
    md += fmt::format("| `{}`{} | {} | {} | {} | {} | {} | {} | {} | {} |\n", k.name,
                      k.mutant ? " (mutant: " + cell(k.bug_class) + ")" : std::string(), cell(k.origin), cell(k.flags),
                      format_error(b.max_score), format_error(b.score_per_log2n),
                      b.max_ulp ? std::to_string(*b.max_ulp) : std::string("-"),
                      b.special == SpecialPolicy::strict ? "strict" : "ignore", ref::format_name(b.compute),
                      b.max_abs_x ? format_error(*b.max_abs_x) : std::string("-"));
  }
  md += "\n";
}

}  // namespace

std::string render_markdown(const ReportModel& model) {
  std::string md = fmt::format("# normcheck accuracy report\n\n{} kernel(s), {} backward, seed {}, generated {}.\n\n",
                               model.kernels.size(), model.backward_kernels.size(), model.seed, model.generated_at);
  summary(md, model);
  sweeps(md, model);
  eps_grid(md, model);
  edge_matrix(md, model);
  worst_cases(md, model);
  domain_and_bias(md, model);
  backward(md, model);
  environment(md, model);
  return md;
}

}  // namespace normcheck::harness::report
