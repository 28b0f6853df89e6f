// Runs evaluate_case() on a task's problems and keeps what the report needs: the tally,
// optionally every output's ULP error and score, and the task's worst problem.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/budget.hpp"
#include "harness/evaluate.hpp"
#include "harness/kernel_judge.hpp"
#include "report/report_model.hpp"
#include "impls/registry.hpp"
#include "reference/oracle.hpp"

namespace normcheck::harness::report {

// The worst problem a task saw: failures rank above passes, then by score.
struct WorstProblem {
  ref::NormProblem problem;
  bool failed = false;
  double score = 0;
  double ulp_error = 0;
  std::string violation;
  std::string source;  // which sweep point / cell / edge case it came from
};

// True when a ranks worse (more interesting) than b.
bool worse_than(const WorstProblem& a, const WorstProblem& b);

class Collector {
 public:
  Collector(KernelJudge& judge, bool collect_errors) : judge_(judge), collect_errors_(collect_errors) {}

  // Evaluates the problem (contracts included, so verdicts match `check`). A kernel that
  // crashes or hangs fails the problem with a "crash" or "timeout" violation.
  const CaseEvaluation& evaluate(const ref::NormProblem& problem, const std::string& source);

  Tally& tally() { return tally_; }
  std::vector<double>& ulp_errors() { return ulp_errors_; }
  std::vector<double>& scores() { return scores_; }
  // Each evaluated problem's signed-error tally, in order, when collecting errors (the
  // kernel's rounding-bias figures).
  std::vector<SignedErrorTally>& signed_errors() { return signed_errors_; }
  std::optional<WorstProblem>& worst() { return worst_; }

 private:
  KernelJudge& judge_;
  bool collect_errors_;
  CaseEvaluation last_;
  Tally tally_;
  std::vector<double> ulp_errors_, scores_;
  std::vector<SignedErrorTally> signed_errors_;
  std::optional<WorstProblem> worst_;
};

// "<class>: <message>" of an evaluation's first violation, "" when it passed.
std::string first_violation(const CaseEvaluation& evaluation);

// Counts one evaluated case into a tally (a skipped one as skipped only).
void add_to_tally(Tally& tally, const CaseEvaluation& evaluation);

}  // namespace normcheck::harness::report
