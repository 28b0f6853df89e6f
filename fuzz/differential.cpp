// Decodes, evaluates and reports one differential fuzz input (differential.hpp).
#include "fuzz/differential.hpp"

#include <array>
#include <exception>
#include <string>
#include <vector>

#include "fuzz/finding.hpp"
#include "fuzz/fuzz_input.hpp"
#include "fuzz/target_config.hpp"
#include "harness/case.hpp"
#include "harness/evaluate.hpp"
#include "harness/input_trace.hpp"

namespace normcheck::fuzz {
namespace {

void write_decoded_case(const TargetConfig& config, const ref::NormProblem& problem) {
  harness::Case decoded;
  decoded.problem = problem;
  decoded.kernel = config.kernel.kernel->name;
  harness::write_case_file(config.decode_to, decoded);
}

// The multi-run contracts (row isolation, batch invariance) run the kernel once more per
// row; checking them on one input in four keeps throughput up while every contract still
// gets hundreds of checks a second. Chosen by a hash of the bytes, so a finding replays.
bool contracts_sampled(const std::uint8_t* data, std::size_t size) {
  std::uint32_t hash = 2166136261u;  // FNV-1a
  for (std::size_t i = 0; i < size; ++i) hash = (hash ^ data[i]) * 16777619u;
  return (hash & 3u) == 0;
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

  // Under `normcheck fuzz`: the input a job was running when it vanished without a report,
  // and whether any input was checked (harness/input_trace.hpp). Destroyed at exit.
  static harness::InputTrace trace(config.finding_dir);
  harness::CaseEvaluation evaluation;
  try {
    harness::EvaluateOptions options;
    options.check_contracts = problem.rows > 1 && contracts_sampled(data, size);
    trace.begin(data, size);
    evaluation = harness::evaluate_case(config.kernel, problem, config.budget, options);
    trace.end();
  } catch (const std::exception& error) {
    // The harness or the oracle failed on a valid case: a normcheck bug, reported as
    // its own class so it never hides among (or as) kernel findings.
    using harness::ViolationClass;
    if (!config.only_class || config.only_class == ViolationClass::internal_error) {
      report_finding(config, problem, ViolationClass::internal_error, {{ViolationClass::internal_error, error.what()}});
    }
    trace.end();
    return 0;
  }
  if (!evaluation.skipped) trace.checked();
  if (evaluation.passed()) return 0;
  // Each class the input shows is its own signature (the first one when a finding
  // aborts): a kernel with two bugs keeps a case for each, whichever shows first.
  std::array<bool, harness::kViolationClasses.size()> reported{};
  for (const auto& violation : evaluation.violations) {
    if (config.only_class && violation.klass != config.only_class) continue;
    const auto index = static_cast<std::size_t>(violation.klass);
    if (index >= reported.size() || reported[index]) continue;
    reported[index] = true;
    report_finding(config, problem, violation.klass, evaluation.violations);
  }
  return 0;
}

}  // namespace normcheck::fuzz
