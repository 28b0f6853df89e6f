// Runs evaluate_case() on a task's problems and keeps what the report needs.
#include "report/collector.hpp"

#include <algorithm>
#include <cmath>

namespace normcheck::harness::report {

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::pass: return "pass";
    case Verdict::fail: return "fail";
    case Verdict::skipped: return "skipped";
    case Verdict::not_applicable: return "n/a";
    case Verdict::no_cases: return "no cases";
  }
  return "invalid";
}

Verdict Tally::verdict() const {
  if (failed > 0) return Verdict::fail;
  if (cases == 0) return Verdict::not_applicable;
  if (skipped == cases) return Verdict::skipped;
  return Verdict::pass;
}

Verdict Tally::kernel_verdict() const {
  if (failed > 0) return Verdict::fail;
  return cases > skipped ? Verdict::pass : Verdict::no_cases;
}

namespace {
// max that lets an infinity win and ignores NaN.
double max_error(double a, double b) { return std::isnan(b) ? a : std::max(a, b); }
}  // namespace

void Tally::merge(const Tally& other) {
  cases += other.cases;
  skipped += other.skipped;
  failed += other.failed;
  outputs += other.outputs;
  special_mismatches += other.special_mismatches;
  worst_score = max_error(worst_score, other.worst_score);
  worst_ulp_error = max_error(worst_ulp_error, other.worst_ulp_error);
  if (first_violation.empty()) first_violation = other.first_violation;
}

bool worse_than(const WorstProblem& a, const WorstProblem& b) {
  if (a.failed != b.failed) return a.failed;
  if (a.score != b.score) return a.score > b.score;
  return a.ulp_error > b.ulp_error;
}

std::string first_violation(const CaseEvaluation& evaluation) {
  if (evaluation.violations.empty()) return "";
  const Violation& v = evaluation.violations.front();
  return std::string(class_name(v.klass)) + ": " + v.message;
}

void add_to_tally(Tally& tally, const CaseEvaluation& evaluation) {
  ++tally.cases;
  if (evaluation.skipped) {
    ++tally.skipped;
    return;
  }
  tally.outputs += evaluation.outputs_checked;
  tally.special_mismatches += evaluation.special_mismatches;
  tally.worst_score = max_error(tally.worst_score, evaluation.max_score);
  tally.worst_ulp_error = max_error(tally.worst_ulp_error, evaluation.max_ulp_error);
  if (!evaluation.passed()) {
    ++tally.failed;
    if (tally.first_violation.empty()) tally.first_violation = first_violation(evaluation);
  }
}

const CaseEvaluation& Collector::evaluate(const ref::NormProblem& problem, const std::string& source) {
  EvaluateOptions options;
  options.collect_errors = collect_errors_;
  IsolatedOutcome outcome = judge_.evaluate(problem, options);
  if (outcome.kind == IsolatedOutcome::Kind::evaluated) {
    last_ = std::move(outcome.evaluation);
  } else {
    last_ = CaseEvaluation{};
    last_.violations = outcome.violations();
  }
  add_to_tally(tally_, last_);
  if (last_.skipped) return last_;
  if (collect_errors_) {
    ulp_errors_.insert(ulp_errors_.end(), last_.ulp_errors.begin(), last_.ulp_errors.end());
    scores_.insert(scores_.end(), last_.scores.begin(), last_.scores.end());
    signed_errors_.push_back(last_.signed_errors);
  }
  // Rank on the numbers first so a problem is copied only when it is the new worst.
  WorstProblem candidate{{}, !last_.passed(), last_.max_score, last_.max_ulp_error, "", ""};
  if (!worst_ || worse_than(candidate, *worst_)) {
    candidate.problem = problem;
    candidate.violation = first_violation(last_);
    candidate.source = source;
    worst_ = std::move(candidate);
  }
  return last_;
}

}  // namespace normcheck::harness::report
