// A bias finding: figures, representative row and the check command that reproduces it.
#include "harness/bias_finding.hpp"

#include <fmt/format.h>

#include "harness/kernel_shape.hpp"
#include "harness/replay_line.hpp"

namespace normcheck::harness {
namespace {

// Row `row` of the problem as a one-row problem.
ref::NormProblem one_row(const ref::NormProblem& p, std::int64_t row) {
  ref::NormProblem out = p;
  out.rows = 1;
  const auto begin = static_cast<std::ptrdiff_t>(row * p.n);
  const auto end = begin + static_cast<std::ptrdiff_t>(p.n);
  out.x.assign(p.x.begin() + begin, p.x.begin() + end);
  if (p.has_residual()) out.residual.assign(p.residual.begin() + begin, p.residual.begin() + end);
  return out;
}

}  // namespace

Finding bias_finding(const impls::KernelInfo& kernel, const BiasFigures& figures, const CaseSource& source,
                     const CheckOptions& options, std::int64_t cases_run) {
  Finding finding;
  finding.kernel = kernel.kernel->name;
  finding.klass = ViolationClass::bias;
  finding.signature = fmt::format("{}-{}", finding.kernel, class_name(finding.klass));
  finding.plugin = plugin_of(kernel);
  finding.message = "rounding bias: " + bias_summary(figures);
  finding.case_index = figures.representative_case;
  const GeneratedCase generated = source(kernel, options.seed, figures.representative_case);
  finding.regime = generated.regime;
  // The kernel computed the adapted problem, whose rows the tally counted.
  finding.original = adapt_problem(*kernel.kernel, generated.problem);
  finding.minimized = one_row(finding.original, figures.representative_row);
  finding.saved_case.problem = finding.minimized;
  finding.saved_case.kernel = finding.kernel;
  // No "expect": this row alone passes the per-case judge on a biased kernel too.
  finding.saved_case.note =
      fmt::format("{}: row {} of case {}, {} outputs misrounded in one direction; a statistical finding: this "
                  "row alone passes, the check command reproduces the finding",
                  finding.signature, figures.representative_row, figures.representative_case,
                  figures.representative_agreeing);
  finding.replay = check_command(CheckLine{finding.kernel, finding.plugin, options.budgets_file, options.seed,
                                           cases_run, options.case_timeout, options.case_source_flags});
  return finding;
}

}  // namespace normcheck::harness
