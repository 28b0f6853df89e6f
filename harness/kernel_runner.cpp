// Runs a kernel through the C ABI: typed buffers with sentinels and guards around the call.
#include "harness/kernel_runner.hpp"

#include "harness/abi_buffer.hpp"
#include "harness/fp_environment.hpp"

#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace normcheck::harness {
namespace {

KernelRun run_as(const normcheck_kernel& kernel, const normcheck_kernel& self, const ref::NormProblem& problem) {
  if (!kernel_accepts(kernel, problem)) {
    throw std::invalid_argument(fmt::format("run_kernel: {} does not accept the problem", kernel.name));
  }
  const std::int64_t count = problem.rows * problem.n;
  require_size(problem.x.size(), count, "x");
  if (problem.has_residual()) require_size(problem.residual.size(), count, "residual");
  if (!problem.gamma.empty()) require_size(problem.gamma.size(), problem.n, "gamma");
  if (!problem.beta.empty()) require_size(problem.beta.size(), problem.n, "beta");

  const auto values = static_cast<std::size_t>(count);
  const auto rows = static_cast<std::size_t>(problem.rows);
  const bool writes_stats = (kernel.flags & NORMCHECK_WRITES_STATS) != 0;
  InputBuffer x(problem.x_format, problem.x);
  InputBuffer residual(problem.x_format, problem.residual);
  InputBuffer gamma(problem.param_format, problem.gamma);
  InputBuffer beta(problem.param_format, problem.beta);
  AbiBuffer y(problem.y_format, values);
  AbiBuffer residual_out(problem.x_format, problem.has_residual() ? values : 0);
  AbiBuffer mean(ref::Format::f32, writes_stats ? rows : 0);
  AbiBuffer rstd(ref::Format::f32, writes_stats ? rows : 0);

  normcheck_problem abi{};
  abi.rows = problem.rows;
  abi.n = problem.n;
  abi.eps = problem.eps;
  abi.x = x.buffer.data();
  abi.residual = problem.has_residual() ? residual.buffer.data() : nullptr;
  abi.gamma = problem.gamma.empty() ? nullptr : gamma.buffer.data();
  abi.beta = problem.beta.empty() ? nullptr : beta.buffer.data();
  abi.y = y.data();
  abi.residual_out = problem.has_residual() ? residual_out.data() : nullptr;
  abi.mean = writes_stats ? static_cast<float*>(mean.data()) : nullptr;
  abi.rstd = writes_stats ? static_cast<float*>(rstd.data()) : nullptr;

  KernelRun run;
  {
    // The harness decodes outputs and computes in its own FP state, whatever the kernel did.
    const FpEnvironmentGuard fp_state;
    run.raw_status = call_run(kernel, self, abi);
    run.status = run.raw_status == NORMCHECK_OK || run.raw_status == NORMCHECK_UNSUPPORTED
                     ? static_cast<normcheck_status>(run.raw_status)
                     : NORMCHECK_ERROR;
    run.fp_state_change = fp_state.changes();
  }

  MemoryViolations violations;
  violations.note(y.guards_intact(), "wrote outside y");
  violations.note(residual_out.guards_intact(), "wrote outside residual_out");
  violations.note(mean.guards_intact(), "wrote outside mean");
  violations.note(rstd.guards_intact(), "wrote outside rstd");
  violations.note(x.unchanged(), "changed x");
  violations.note(residual.unchanged(), "changed residual");
  violations.note(gamma.unchanged(), "changed gamma");
  violations.note(beta.unchanged(), "changed beta");
  run.memory_violation = violations.text();

  run.y = y.load();
  y.append_unwritten(run.unwritten_y);
  if (problem.has_residual()) run.residual_out = residual_out.load();
  if (writes_stats) {
    run.mean = mean.load();
    run.rstd = rstd.load();
  }
  return run;
}

}  // namespace

KernelRun run_kernel(const impls::KernelInfo& kernel, const ref::NormProblem& problem) {
  return run_as(*kernel.kernel, kernel.self(), problem);
}

KernelRun run_kernel(const normcheck_kernel& kernel, const ref::NormProblem& problem) {
  return run_as(kernel, kernel, problem);
}

}  // namespace normcheck::harness
