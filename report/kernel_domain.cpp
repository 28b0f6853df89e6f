// Safe-domain measurement on a kernel's worst cases.
#include "report/kernel_domain.hpp"

#include "harness/case.hpp"

namespace normcheck::harness::report {

void measure_worst_case_domains(KernelJudge& judge, KernelReport& report) {
  const Budget& budget = judge.budget();
  const DomainJudge within_budget =
      [&judge](const ref::NormProblem& scaled) -> std::optional<Violation> {
    const auto violations = judge.evaluate(scaled, EvaluateOptions{}).violations();
    if (violations.empty()) return std::nullopt;
    return violations.front();
  };
  for (WorstCase& w : report.worst_cases) {
    // A hang costs a whole timeout per run, a crash a fork: neither is measured (as in check).
    if (!w.failed || w.violation.rfind("timeout:", 0) == 0 || w.violation.rfind("crash:", 0) == 0)
      continue;
    const ref::NormProblem problem = parse_case(w.case_json, w.file).problem;
    if (!has_extreme_magnitude(problem, budget.compute)) continue;
    w.domain = measure_safe_domain(problem, budget.compute, within_budget);
    if (w.domain) report.domain.add(*w.domain);
  }
}

}  // namespace normcheck::harness::report
