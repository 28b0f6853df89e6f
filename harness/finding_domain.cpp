// Safe-domain measurement of a check finding (harness/finding_domain.hpp).
#include "harness/finding_domain.hpp"

#include <chrono>

#include "harness/safe_domain.hpp"

namespace normcheck::harness {

void measure_finding_domain(IsolatedEvaluator& evaluator, const Budget& budget, Finding& finding) {
  if (finding.klass == ViolationClass::bias) return;
  if (!has_extreme_magnitude(finding.minimized, budget.compute)) return;
  const auto start = std::chrono::steady_clock::now();
  // The judge of check: the same evaluator (the kernel's isolated worker, unless
  // --no-isolate), "within budget" meaning no violation of any class.
  const DomainJudge judge = [&](const ref::NormProblem& scaled) -> std::optional<Violation> {
    const auto violations = evaluator.evaluate(scaled).violations();
    if (violations.empty()) return std::nullopt;
    return violations.front();
  };
  finding.domain = measure_safe_domain(finding.minimized, budget.compute, judge);
  // Sums of squares overflow sooner in longer rows: the bound for the length the case had
  // before shrinking. (Underflow is worst in the shortest row, which the minimized case is.)
  if (finding.domain && finding.domain->side == DomainSide::upper &&
      finding.original.n > finding.minimized.n) {
    finding.equal_magnitude_domain = measure_safe_domain(
        equal_magnitude_row(finding.minimized, finding.original.n), budget.compute, judge);
  }
  finding.seconds_to_measure_domain =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace normcheck::harness
