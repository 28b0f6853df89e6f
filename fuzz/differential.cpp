// Decodes, evaluates and reports one differential fuzz input (differential.hpp).
#include "fuzz/differential.hpp"

#include <array>
#include <exception>
#include <string>
#include <vector>

#include "fuzz/backward_input.hpp"
#include "fuzz/finding.hpp"
#include "fuzz/fuzz_input.hpp"
#include "fuzz/target_config.hpp"
#include "harness/backward_evaluate.hpp"
#include "harness/case.hpp"
#include "harness/evaluate.hpp"
#include "harness/input_trace.hpp"

namespace normcheck::fuzz {
namespace {

harness::Case case_of(const ref::NormProblem& problem) {
  harness::Case decoded;
  decoded.problem = problem;
  return decoded;
}
harness::Case case_of(const ref::BackwardProblem& problem) { return harness::backward_case(problem); }

// The multi-run contracts (row isolation, batch invariance) run the kernel once more per
// row; checking them on one input in four keeps throughput up while every contract still
// gets hundreds of checks a second. Chosen by a hash of the bytes, so a finding replays.
bool contracts_sampled(const std::uint8_t* data, std::size_t size) {
  std::uint32_t hash = 2166136261u;  // FNV-1a
  for (std::size_t i = 0; i < size; ++i) hash = (hash ^ data[i]) * 16777619u;
  return (hash & 3u) == 0;
}

// Under `normcheck fuzz`: the input a job was running when it vanished without a report,
// and whether any input was checked (harness/input_trace.hpp). One per process, whichever
// pass it judges; destroyed at exit.
harness::InputTrace& input_trace(const TargetConfig& config) {
  static harness::InputTrace trace(config.finding_dir);
  return trace;
}

// Either pass's decoded problem, judged by `evaluate` (a forward or a backward judge):
// the decoded case written instead when asked, the input traced while the kernel runs, a
// harness error reported as its own class, and each violation class a finding.
template <class Problem, class Evaluate>
int judge(const TargetConfig& config, const std::uint8_t* data, std::size_t size, const Problem& problem,
          const Evaluate& evaluate) {
  if (!config.decode_to.empty()) {
    harness::Case decoded = case_of(problem);
    decoded.kernel = config.kernel_name();
    harness::write_case_file(config.decode_to, decoded);
    return 0;
  }

  harness::InputTrace& trace = input_trace(config);
  harness::CaseEvaluation evaluation;
  try {
    trace.begin(data, size);
    evaluation = evaluate();
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

}  // namespace

int check_differential_input(const std::uint8_t* data, std::size_t size) {
  const TargetConfig& config = target_config();
  const auto input = decode_input(data, size, config.shape);
  if (!input) return -1;
  const ref::NormProblem problem = to_problem(*input, config.shape);
  return judge(config, data, size, problem, [&] {
    harness::EvaluateOptions options;
    options.check_contracts = problem.rows > 1 && contracts_sampled(data, size);
    return harness::evaluate_case(config.kernel, problem, config.budget, options);
  });
}

int check_backward_input(const std::uint8_t* data, std::size_t size) {
  const TargetConfig& config = target_config();
  const auto input = decode_backward_input(data, size, config.shape);
  if (!input) return -1;
  const ref::BackwardProblem problem = to_backward_problem(*input, config.shape);
  return judge(config, data, size, problem,
               [&] { return harness::evaluate_backward_case(*config.backward_kernel, problem, config.budget); });
}

}  // namespace normcheck::fuzz
