// One kernel's evaluations for a command that runs many at once from several threads
// (report): isolated workers reused across calls, one per concurrent caller, and never two
// concurrent calls into a kernel that does not declare NORMCHECK_THREAD_SAFE.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include "harness/budget.hpp"
#include "harness/evaluate.hpp"
#include "harness/isolation.hpp"
#include "impls/registry.hpp"
#include "reference/oracle.hpp"

namespace normcheck::harness {

class KernelJudge {
 public:
  // isolate = false runs the kernel in this process (trusted kernels, sanitizer runs).
  KernelJudge(impls::KernelInfo kernel, Budget budget, std::chrono::milliseconds case_timeout, bool isolate);
  KernelJudge(const KernelJudge&) = delete;
  KernelJudge& operator=(const KernelJudge&) = delete;

  const impls::KernelInfo& kernel() const { return kernel_; }
  const Budget& budget() const { return budget_; }
  std::chrono::milliseconds case_timeout() const { return timeout_; }

  // Safe to call from any thread. Isolated, each concurrent call has a worker process of
  // its own (a kernel's static state is then never shared); in process, a kernel that is
  // not thread-safe is called by one thread at a time. A crash or hang is an outcome.
  IsolatedOutcome evaluate(const ref::NormProblem& problem, const EvaluateOptions& options);

  // Stops the idle workers (a report releases a kernel's once its tasks are done: every
  // worker holds four descriptors and a process, and many kernels times many threads
  // would exhaust them). Later calls start new ones.
  void release_idle();

 private:
  using Pool = std::vector<std::unique_ptr<IsolatedEvaluator>>;
  static std::size_t pool_index(const EvaluateOptions& options);

  impls::KernelInfo kernel_;
  Budget budget_;
  std::chrono::milliseconds timeout_;
  bool isolate_;
  std::mutex pools_mutex_;
  std::array<Pool, 4> idle_;  // idle evaluators, one pool per combination of EvaluateOptions
  std::mutex serial_;         // held around in-process calls of a kernel that is not thread-safe
};

}  // namespace normcheck::harness
