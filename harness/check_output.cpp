// Writers for the check report: text table, findings, JUnit XML, JSON.
#include "harness/check_output.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/bias_json.hpp"
#include "harness/case.hpp"
#include "harness/domain_json.hpp"
#include "harness/markup_escape.hpp"

namespace normcheck::harness {
namespace {

// Cases up to this many values are printed whole; a larger one is shown by its shape and
// the values around the output its finding reports (the case file has everything).
constexpr std::size_t kInlineValues = 64;

// The finding's case for people: whole when small, else its shape and the elements of
// the offending row around the offending column.
std::string case_excerpt(const Finding& f) {
  const ref::NormProblem& p = f.saved_case.problem;
  if (p.value_count() <= static_cast<std::int64_t>(kInlineValues)) return case_to_json(f.saved_case);
  std::string out = fmt::format(
      "case of {} values, elided (the case file has them all): {} {}/{}/{}, rows {}, n {}, eps {}{}{}{}",
      p.value_count(), ref::op_name(p.op), ref::format_name(p.x_format), ref::format_name(p.param_format),
      ref::format_name(p.y_format), p.rows, p.n, hex_float(p.eps),
      p.gamma.empty() ? "" : ", gamma", p.beta.empty() ? "" : ", beta", p.has_residual() ? ", residual" : "");
  const std::int64_t row = f.location.row;
  if (row < 0 || row >= p.rows) return out;
  constexpr std::int64_t kAround = 4;
  const std::int64_t column = f.location.column;
  const std::int64_t first = column < 0 ? 0 : std::max<std::int64_t>(0, column - kAround);
  const std::int64_t last = column < 0 ? std::min<std::int64_t>(p.n, 2 * kAround + 1)
                                       : std::min<std::int64_t>(p.n, column + kAround + 1);
  const auto show = [&](const char* name, const std::vector<double>& values, std::int64_t offset) {
    if (values.empty()) return;
    out += fmt::format("\n  {}[{}..{}]{}:", name, first, last - 1, offset == 0 ? "" : fmt::format(" of row {}", row));
    for (std::int64_t c = first; c < last; ++c) {
      out += fmt::format(" {}{}", c == column ? "*" : "", hex_float(values[static_cast<std::size_t>(offset + c)]));
    }
  };
  show("x", p.x, row * p.n);
  show("residual", p.residual, row * p.n);
  show("gamma", p.gamma, 0);
  show("beta", p.beta, 0);
  if (column >= 0) out += fmt::format("\n  (* marks column {}, the output the finding reports)", column);
  return out;
}

// The line under a finding's case: its replay command, or why there is no file to replay.
std::string replay_or_why_not(const Finding& f) {
  if (f.klass == ViolationClass::bias) return fmt::format("reproduce (the whole check run): {}", f.replay);
  if (!f.replay.empty()) return fmt::format("replay: {}", f.replay);
  if (!f.save_error.empty()) return fmt::format("case not saved ({}); it is the JSON above", f.save_error);
  return "case not saved (no directory for cases, see the note at the start); it is the JSON above";
}

// A finding of range: its safe domain, how it was measured, and the bound for a row of the
// original length (harness/safe_domain.hpp); "" for other findings.
std::string domain_lines(const Finding& f) {
  std::string out;
  if (f.domain)
    out += fmt::format("  {}\n  ({})\n", describe_domain(*f.domain), describe_domain_evidence(*f.domain));
  if (f.equal_magnitude_domain)
    out += fmt::format("  for a row of the case's length before shrinking, every |x| equal, signs alternating: {}\n",
                       describe_domain(*f.equal_magnitude_domain));
  return out;
}

// The bias column: mean signed error and misrounded share, "n/a" where no output qualified.
std::string bias_cell(const BiasFigures& b) {
  if (!b.applicable()) return "n/a";
  return fmt::format("{:+.3f} {:.1f}%", b.mean_error, 100 * b.misrounded_fraction);
}

}  // namespace

std::string verdict_label(const KernelSummary& k) {
  switch (k.verdict()) {
    case KernelVerdict::pass: return "pass";
    case KernelVerdict::no_cases: return "NO CASES";
    case KernelVerdict::fail:
      return k.findings.size() == 1
                 ? fmt::format("FAIL ({})", class_name(k.findings.front().klass))
                 : fmt::format("FAIL ({} +{})", class_name(k.findings.front().klass), k.findings.size() - 1);
  }
  return "FAIL";
}

std::string format_run_line(const CheckReport& report) {
  const bool any_finding = std::any_of(report.kernels.begin(), report.kernels.end(),
                                       [](const KernelSummary& k) { return !k.findings.empty(); });
  // The throughput a CI gate pays for, in the line that says what it checked.
  const double per_second = report.seconds > 0 ? static_cast<double>(report.total_outputs()) / report.seconds : 0;
  return fmt::format("seed {}, {} kernels, {} outputs checked in {:.1f} s on {} thread{} ({:.2f} M/s): {}\n",
                     report.seed, report.kernels.size(), report.total_outputs(), report.seconds, report.threads,
                     report.threads == 1 ? "" : "s", per_second / 1e6,
                     report.passed() ? "all within budget"
                     : any_finding   ? "FINDINGS"
                                     : "NO CASES checked for some kernel");
}

std::string format_summary_table(const CheckReport& report) {
  std::size_t width = 6;
  for (const auto& k : report.kernels) width = std::max(width, k.kernel.size());
  std::string out = fmt::format("{:<{}}  {:>7}  {:>10}  {:>10}  {:>10}  {:>8}  {:>13}  {}\n", "kernel", width, "cases",
                                "elements", "max ulp", "max score", "special", "bias", "verdict");
  for (const auto& k : report.kernels) {
    const std::string verdict = verdict_label(k);
    out += fmt::format("{:<{}}  {:>7}  {:>10}  {:>10.3g}  {:>10.3g}  {:>8}  {:>13}  {}\n", k.kernel, width, k.cases,
                       k.outputs, k.max_ulp_error, k.max_score, k.special_mismatches, bias_cell(k.bias), verdict);
  }
  return out;
}

std::string format_findings(const CheckReport& report) {
  std::string out;
  for (const auto& k : report.kernels) {
    for (const auto& f : k.findings) {
      if (f.klass == ViolationClass::bias) {
        // A statistic over the kernel's cases: the case shown is one row, cut, not shrunk.
        out += fmt::format("\nFINDING {} (over {} cases of seed {}; shown: a representative row of case {}, regime {})\n  {}\n",
                           f.signature, k.bias.cases, report.seed, f.case_index, f.regime.empty() ? "-" : f.regime,
                           f.message);
      } else {
        out += fmt::format("\nFINDING {} (case {} of seed {}, regime {}, {} elements after shrinking from {})\n  {}\n",
                           f.signature, f.case_index, report.seed, f.regime.empty() ? "-" : f.regime,
                           f.minimized.rows * f.minimized.n, f.original.rows * f.original.n, f.message);
      }
      out += domain_lines(f);
      if (f.hits > 1) out += fmt::format("  (shown by {} cases of the run)\n", f.hits);
      out += case_excerpt(f);
      out += fmt::format("\n{}\n", replay_or_why_not(f));
    }
  }
  return out;
}

std::string junit_xml(const CheckReport& report) {
  std::size_t failures = 0;
  for (const auto& k : report.kernels) failures += k.passed() ? 0 : 1;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"normcheck check\" tests=\"{}\" failures=\"{}\" time=\"{:.3f}\">\n",
                     report.kernels.size(), failures, report.seconds);
  out += fmt::format("  <testsuite name=\"normcheck.check\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{:.3f}\">\n",
                     report.kernels.size(), failures, report.seconds);
  out += fmt::format("    <properties><property name=\"seed\" value=\"{}\"/></properties>\n", report.seed);
  for (const auto& k : report.kernels) {
    out += fmt::format("    <testcase classname=\"normcheck.check\" name=\"{}\" time=\"{:.3f}\"",
                       markup_escape(k.kernel), k.seconds);
    if (k.checked_nothing()) {
      out += fmt::format(">\n      <failure type=\"no-cases\" message=\"no case was checked ({} skipped)\"/>\n    </testcase>\n",
                         k.skipped);
      continue;
    }
    if (k.findings.empty()) {
      out += fmt::format(">\n      <system-out>{} cases, {} outputs, max ulp {:.3g}, max score {:.3g}</system-out>\n    </testcase>\n",
                         k.cases, k.outputs, k.max_ulp_error, k.max_score);
      continue;
    }
    out += ">\n";
    for (const auto& f : k.findings) {
      out += fmt::format("      <failure type=\"{}\" message=\"{}\">{}\n{}{}\n{}</failure>\n",
                         class_name(f.klass), markup_escape(f.message), markup_escape(f.signature),
                         markup_escape(domain_lines(f)), markup_escape(case_excerpt(f)),
                         markup_escape(replay_or_why_not(f)));
    }
    out += "    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

std::string report_json(const CheckReport& report) {
  using nlohmann::json;
  json kernels = json::array();
  for (const auto& k : report.kernels) {
    json findings = json::array();
    for (const auto& f : k.findings) {
      findings.push_back({{"signature", f.signature},
                          {"class", class_name(f.klass)},
                          {"message", f.message},
                          {"regime", f.regime},
                          {"case_index", f.case_index},
                          {"hits", f.hits},
                          {"row", f.location.row},
                          {"column", f.location.column},
                          {"original_elements", f.original.rows * f.original.n},
                          {"elements", f.minimized.rows * f.minimized.n},
                          {"shrink_evaluations", f.shrink_evaluations},
                          {"seconds_to_detect", f.seconds_to_detect},
                          {"seconds_to_shrink", f.seconds_to_shrink},
                          {"domain", f.domain ? domain_json(*f.domain) : json(nullptr)},
                          {"equal_magnitude_domain",
                           f.equal_magnitude_domain ? domain_json(*f.equal_magnitude_domain) : json(nullptr)},
                          {"seconds_to_measure_domain", f.seconds_to_measure_domain},
                          // null when the case was not saved; save_error says why when it failed.
                          {"case_file", f.case_file.empty() ? json(nullptr) : json(f.case_file.string())},
                          {"replay", f.replay.empty() ? json(nullptr) : json(f.replay)},
                          {"save_error", f.save_error.empty() ? json(nullptr) : json(f.save_error)},
                          {"case", json::parse(case_to_json(f.saved_case))}});
    }
    kernels.push_back({{"kernel", k.kernel},
                       {"verdict", verdict_word(k.verdict())},
                       {"cases", k.cases},
                       {"skipped", k.skipped},
                       {"outputs", k.outputs},
                       {"max_ulp_error", k.max_ulp_error},
                       {"max_score", k.max_score},
                       {"max_ulp_distance", k.max_ulp_distance},
                       {"special_mismatches", k.special_mismatches},
                       {"seconds", k.seconds},
                       {"regimes", k.regimes},
                       {"bias", bias_json(k.bias)},
                       {"domain", domain_bounds_json(k.domain())},
                       {"findings", findings}});
  }
  json out = {{"seed", report.seed},
              {"passed", report.passed()},
              {"seconds", report.seconds},
              {"threads", report.threads},
              {"outputs", report.total_outputs()},
              {"kernels", kernels}};
  return out.dump(2);
}

}  // namespace normcheck::harness
