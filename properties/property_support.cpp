// Shared plumbing of the property functions.
#include "properties/property_support.hpp"

#include <cmath>
#include <fmt/format.h>

namespace normcheck::props {
using harness::ViolationClass;

std::string PropertyResult::describe() const {
  if (skipped) return "skipped: " + skip_reason;
  std::string text;
  std::size_t shown = 0;
  for (const auto& v : violations) {
    if (++shown > 5) {
      text += fmt::format("... and {} more\n", violations.size() - 5);
      break;
    }
    text += fmt::format("[{}] {}\n", harness::class_name(v.klass), v.message);
  }
  return text;
}

bool same_value(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return a == b && std::signbit(a) == std::signbit(b);
}

namespace support {

std::optional<harness::KernelRun> run_or_record(const impls::KernelInfo& kernel,
                                                const ref::NormProblem& problem, PropertyResult& result) {
  auto run = harness::run_kernel(kernel, problem);
  if (run.status == NORMCHECK_UNSUPPORTED) {
    result.skipped = true;
    result.skip_reason = "kernel returned NORMCHECK_UNSUPPORTED";
    return std::nullopt;
  }
  if (run.status != NORMCHECK_OK) {
    add_violation(result, ViolationClass::status, fmt::format("kernel returned status {}", run.raw_status));
    return std::nullopt;
  }
  return run;
}

void add_violation(PropertyResult& result, ViolationClass klass, std::string message) {
  result.violations.push_back(harness::Violation{klass, std::move(message)});
}

bool within_domain(const ref::NormProblem& problem, const harness::Budget& budget) {
  if (!budget.max_abs_x) return true;
  auto inside = [&](double v) { return !std::isfinite(v) || std::fabs(v) <= *budget.max_abs_x; };
  for (double v : problem.x)
    if (!inside(v)) return false;
  for (double v : problem.residual)
    if (!inside(v)) return false;
  return true;
}

void merge(PropertyResult& result, const harness::CaseEvaluation& evaluation, std::string_view context) {
  if (evaluation.skipped) {
    result.skipped = true;
    result.skip_reason = evaluation.skip_reason;
    return;
  }
  for (const auto& v : evaluation.violations) {
    result.violations.push_back(
        harness::Violation{v.klass, context.empty() ? v.message : fmt::format("{}: {}", context, v.message), v.location});
  }
}

}  // namespace support
}  // namespace normcheck::props
