// Runs evaluate_case (or, for a backward kernel, evaluate_backward_case) for one kernel in a
// forked worker process, so that a kernel that crashes or hangs becomes a finding instead
// of ending the run. The worker is reused for many cases (one fork per kernel, not per
// case) and replaced after a crash.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <string_view>
#include <variant>
#include <sys/types.h>

#include "harness/budget.hpp"
#include "harness/evaluate.hpp"
#include "harness/violation.hpp"
#include "harness/worker_output.hpp"
#include "impls/registry.hpp"
#include "reference/backward_problem.hpp"
#include "reference/oracle.hpp"

namespace normcheck::harness {

// How long one case may run before it is a hang finding, unless a command's
// --case-timeout-ms says otherwise, and the most that flag takes (one hour: beyond it
// deadline arithmetic and poll()'s int milliseconds would overflow).
inline constexpr std::chrono::milliseconds kDefaultCaseTimeout{10'000};
inline constexpr std::chrono::milliseconds kMaxCaseTimeout{3'600'000};

struct IsolatedOutcome {
  enum class Kind { evaluated, crashed, timed_out };
  Kind kind = Kind::evaluated;
  CaseEvaluation evaluation;  // when evaluated
  std::string detail;         // crashed: the signal or exit status; timed_out: the limit

  // The finding's class: crash or timeout, else the first violation's class; nullopt
  // when the case passed or was skipped.
  std::optional<ViolationClass> first_class() const;
  // Whether the outcome shows this class (a crash shows only crash, a hang only timeout;
  // a skipped case shows none). Shrinking keeps a candidate when it still shows it.
  bool has_class(ViolationClass klass) const;
  // The crash or hang detail, or the message of the first violation of this class ("" if none).
  std::string message_for(ViolationClass klass) const;
  // The first violation of this class (a crash or hang as one), or nullopt.
  std::optional<Violation> violation_for(ViolationClass klass) const;
  // Crashes and hangs as violations (so every output reads one list); else the evaluation's.
  std::vector<Violation> violations() const;
};

class IsolatedEvaluator {
 public:
  // isolate = false evaluates in this process (no fork): fastest, for trusted kernels
  // and for sanitizer runs that must see the kernel's frames.
  IsolatedEvaluator(impls::KernelInfo kernel, Budget budget, EvaluateOptions options,
                    std::chrono::milliseconds case_timeout, bool isolate = true);
  // A backward kernel's evaluator: evaluate(BackwardProblem) only.
  IsolatedEvaluator(impls::BackwardKernelInfo kernel, Budget budget, std::chrono::milliseconds case_timeout,
                    bool isolate = true);
  ~IsolatedEvaluator();
  IsolatedEvaluator(const IsolatedEvaluator&) = delete;
  IsolatedEvaluator& operator=(const IsolatedEvaluator&) = delete;

  // A crash, a hang or a malformed reply of the worker is an outcome. A harness error
  // inside the worker (an exception from evaluate_case) is not the kernel's doing: it
  // is thrown here as std::runtime_error with the worker's message, as it would be
  // without isolation.
  // The problem's pass must be the kernel's (std::logic_error otherwise).
  IsolatedOutcome evaluate(const ref::NormProblem& problem);
  IsolatedOutcome evaluate(const ref::BackwardProblem& problem);

  int forks() const { return forks_; }

 private:
  void start_worker();
  void stop_worker();
  int reap_worker();     // waits for the worker, kills what is left of its group, reaps it
  void forget_worker();  // after reap_worker: drops the pidfd and the pid
  IsolatedOutcome reap_after_failure(bool timed_out, std::chrono::milliseconds limit);
  void kill_worker();
  IsolatedOutcome malformed_reply(std::string_view what);
  // One request to the worker: the encoded problem, its element count (the timeout and the
  // memory allowance grow with it), and the same judgement in this process without isolation.
  IsolatedOutcome evaluate_request(const std::string& request, std::int64_t elements,
                                   const std::function<CaseEvaluation()>& in_process);
  // The worker's side: decodes a request for this evaluator's kernel and judges it.
  CaseEvaluation serve(std::string_view request) const;
  std::string kernel_name() const;

  using AnyKernel = std::variant<impls::KernelInfo, impls::BackwardKernelInfo>;
  AnyKernel kernel_;
  Budget budget_;
  EvaluateOptions options_;
  std::chrono::milliseconds timeout_;
  bool isolate_;
  pid_t pid_ = -1;
  int to_worker_ = -1;
  int from_worker_ = -1;
  int exited_fd_ = -1;                    // pidfd of the worker: readable once it exits
  std::int64_t baseline_resident_ = -1;   // the worker's resident bytes after its first case
  std::unique_ptr<WorkerOutput> output_;  // the workers' stdout / stderr, kept across restarts
  int output_fd_listed_ = -1;             // output_'s fd once in the process-wide fd list
  int forks_ = 0;
};

}  // namespace normcheck::harness
