// A backward kernel through the C ABI (backward_runner.hpp).
#include "harness/backward_runner.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "harness/abi_buffer.hpp"
#include "harness/fp_environment.hpp"
#include "reference/format.hpp"
#include "reference/oracle.hpp"

namespace normcheck::harness {
namespace {

ref::Format format_of(normcheck_dtype dtype) { return static_cast<ref::Format>(dtype); }

}  // namespace

SavedStatistics saved_statistics(const ref::OracleResult& forward, ref::Op op) {
  SavedStatistics saved;
  // mean and rstd are correctly rounded to f64; one more rounding to f32 is correct
  // rounding of the exact value except in a double-rounding tie, an error of one f32 ulp
  // at most, which the score's saved-statistics allowance covers.
  for (double rstd : forward.rstd) saved.rstd.push_back(ref::round_to_format(ref::Format::f32, rstd));
  if (op == ref::Op::layernorm) {
    for (double mean : forward.mean) saved.mean.push_back(ref::round_to_format(ref::Format::f32, mean));
  }
  return saved;
}

SavedStatistics saved_statistics(const ref::BackwardProblem& problem) {
  ref::OracleOptions statistics;
  statistics.statistics_only = true;
  return saved_statistics(ref::compute_oracle(forward_problem(problem), statistics), problem.op);
}

bool backward_kernel_accepts(const normcheck_backward_kernel& kernel, const ref::BackwardProblem& problem) {
  const ref::Op op = kernel.op == NORMCHECK_LAYERNORM ? ref::Op::layernorm : ref::Op::rmsnorm;
  return op == problem.op && format_of(kernel.x_dtype) == problem.x_format &&
         format_of(kernel.param_dtype) == problem.param_format && format_of(kernel.y_dtype) == problem.dy_format;
}

BackwardKernelRun run_backward_kernel(const impls::BackwardKernelInfo& kernel, const ref::BackwardProblem& problem,
                                      const SavedStatistics& saved) {
  if (!backward_kernel_accepts(*kernel.kernel, problem)) {
    throw std::invalid_argument(fmt::format("run_backward_kernel: {} does not accept the problem", kernel.kernel->name));
  }
  const std::int64_t count = problem.rows * problem.n;
  require_size(problem.x.size(), count, "x");
  require_size(problem.dy.size(), count, "dy");
  if (!problem.gamma.empty()) require_size(problem.gamma.size(), problem.n, "gamma");
  require_size(saved.rstd.size(), problem.rows, "saved rstd");
  const bool layernorm = problem.op == ref::Op::layernorm;
  if (layernorm) require_size(saved.mean.size(), problem.rows, "saved mean");

  const auto values = static_cast<std::size_t>(count);
  const auto columns = static_cast<std::size_t>(problem.n);
  InputBuffer x(problem.x_format, problem.x);
  InputBuffer dy(problem.dy_format, problem.dy);
  InputBuffer gamma(problem.param_format, problem.gamma);
  InputBuffer mean(ref::Format::f32, saved.mean);
  InputBuffer rstd(ref::Format::f32, saved.rstd);
  AbiBuffer dx(problem.x_format, values);
  AbiBuffer dgamma(problem.param_format, columns);
  AbiBuffer dbeta(problem.param_format, layernorm ? columns : 0);

  normcheck_backward_problem abi{};
  abi.rows = problem.rows;
  abi.n = problem.n;
  abi.eps = problem.eps;
  abi.x = x.buffer.data();
  abi.dy = dy.buffer.data();
  abi.gamma = problem.gamma.empty() ? nullptr : gamma.buffer.data();
  abi.mean = layernorm ? static_cast<const float*>(mean.buffer.data()) : nullptr;
  abi.rstd = static_cast<const float*>(rstd.buffer.data());
  abi.dx = dx.data();
  abi.dgamma = dgamma.data();
  abi.dbeta = layernorm ? dbeta.data() : nullptr;

  BackwardKernelRun run;
  {
    // The harness decodes outputs and computes in its own FP state, whatever the kernel did.
    const FpEnvironmentGuard fp_state;
    run.raw_status = call_run(*kernel.kernel, kernel.self(), abi);
    run.status = run.raw_status == NORMCHECK_OK || run.raw_status == NORMCHECK_UNSUPPORTED
                     ? static_cast<normcheck_status>(run.raw_status)
                     : NORMCHECK_ERROR;
    run.fp_state_change = fp_state.changes();
  }

  MemoryViolations violations;
  violations.note(dx.guards_intact(), "wrote outside dx");
  violations.note(dgamma.guards_intact(), "wrote outside dgamma");
  violations.note(dbeta.guards_intact(), "wrote outside dbeta");
  violations.note(x.unchanged(), "changed x");
  violations.note(dy.unchanged(), "changed dy");
  violations.note(gamma.unchanged(), "changed gamma");
  violations.note(mean.unchanged(), "changed mean");
  violations.note(rstd.unchanged(), "changed rstd");
  run.memory_violation = violations.text();

  run.dx = dx.load();
  run.dgamma = dgamma.load();
  dx.append_unwritten(run.unwritten_dx);
  dgamma.append_unwritten(run.unwritten_dgamma);
  if (layernorm) {
    run.dbeta = dbeta.load();
    dbeta.append_unwritten(run.unwritten_dbeta);
  }
  return run;
}

}  // namespace normcheck::harness
