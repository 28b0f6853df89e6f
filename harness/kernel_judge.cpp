// KernelJudge: a pool of isolated evaluators per kernel, shared by a command's threads.
#include "harness/kernel_judge.hpp"

#include <utility>

namespace normcheck::harness {

KernelJudge::KernelJudge(impls::KernelInfo kernel, Budget budget, std::chrono::milliseconds case_timeout,
                         bool isolate)
    : kernel_(std::move(kernel)), budget_(std::move(budget)), timeout_(case_timeout), isolate_(isolate) {}

std::size_t KernelJudge::pool_index(const EvaluateOptions& options) {
  return (options.check_contracts ? 2u : 0u) + (options.collect_errors ? 1u : 0u);
}

IsolatedOutcome KernelJudge::evaluate(const ref::NormProblem& problem, const EvaluateOptions& options) {
  if (!isolate_) {
    IsolatedOutcome outcome;
    if (kernel_.thread_safe) {
      outcome.evaluation = evaluate_case(kernel_, problem, budget_, options);
    } else {
      const std::lock_guard lock(serial_);
      outcome.evaluation = evaluate_case(kernel_, problem, budget_, options);
    }
    return outcome;
  }
  Pool& pool = idle_[pool_index(options)];
  std::unique_ptr<IsolatedEvaluator> evaluator;
  {
    const std::lock_guard lock(pools_mutex_);
    if (!pool.empty()) {
      evaluator = std::move(pool.back());
      pool.pop_back();
    }
  }
  if (!evaluator) evaluator = std::make_unique<IsolatedEvaluator>(kernel_, budget_, options, timeout_, true);
  IsolatedOutcome outcome = evaluator->evaluate(problem);  // a failed worker is replaced on next use
  const std::lock_guard lock(pools_mutex_);
  pool.push_back(std::move(evaluator));
  return outcome;
}

void KernelJudge::release_idle() {
  std::array<Pool, 4> released;
  {
    const std::lock_guard lock(pools_mutex_);
    released.swap(idle_);
  }
  // Destroyed here, outside the lock: each stops its worker and waits for it.
}

}  // namespace normcheck::harness
