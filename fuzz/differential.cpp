// Decodes, evaluates and reports one differential fuzz input (differential.hpp).
#include "fuzz/differential.hpp"

#include <exception>
#include <string>
#include <vector>

#include "fuzz/finding.hpp"
#include "fuzz/fuzz_input.hpp"
#include "fuzz/target_config.hpp"
#include "harness/case.hpp"
#include "harness/evaluate.hpp"

namespace normcheck::fuzz {
namespace {

void write_decoded_case(const TargetConfig& config, const ref::NormProblem& problem) {
  harness::Case decoded;
  decoded.problem = problem;
  decoded.kernel = config.kernel.kernel->name;
  harness::write_case_file(config.decode_to, decoded);
}

}  // namespace

int check_differential_input(const std::uint8_t* data, std::size_t size) {
  const TargetConfig& config = target_config();
  const auto input = decode_input(data, size, config.shape);
  if (!input) return -1;
  const ref::NormProblem problem = to_problem(*input, config.shape);
  if (!config.decode_to.empty()) {
    write_decoded_case(config, problem);
    return 0;
  }

  harness::CaseEvaluation evaluation;
  try {
    evaluation = harness::evaluate_case(config.kernel, problem, config.budget);
  } catch (const std::exception& error) {
    // The harness or the oracle failed on a valid case: a normcheck bug, reported as
    // its own class so it never hides among (or as) kernel findings.
    if (config.only_class.empty() || config.only_class == "internal-error") {
      report_finding(config, problem, "internal-error", {{"internal-error", error.what()}});
    }
    return 0;
  }
  if (evaluation.passed()) return 0;
  if (config.only_class.empty()) report_finding(config, problem, evaluation.violations.front().klass, evaluation.violations);
  for (const auto& violation : evaluation.violations) {
    if (violation.klass == config.only_class) report_finding(config, problem, violation.klass, evaluation.violations);
  }
  return 0;
}

}  // namespace normcheck::fuzz
