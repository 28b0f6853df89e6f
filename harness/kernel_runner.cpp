// Runs a kernel through the C ABI: typed buffers with sentinels and guards around the call.
#include "harness/kernel_runner.hpp"

#include "harness/abi_buffer.hpp"
#include "harness/fp_environment.hpp"

#include <cstring>
#include <optional>
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
  // The buffers of arrays the problem has not are never made: the kernel gets nullptr.
  InputBuffer x(problem.x_format, problem.x);
  std::optional<InputBuffer> residual, gamma, beta;
  std::optional<AbiBuffer> residual_out, mean, rstd;
  if (problem.has_residual()) {
    residual.emplace(problem.x_format, problem.residual);
    residual_out.emplace(problem.x_format, values);
  }
  if (!problem.gamma.empty()) gamma.emplace(problem.param_format, problem.gamma);
  if (!problem.beta.empty()) beta.emplace(problem.param_format, problem.beta);
  if (writes_stats) {
    mean.emplace(ref::Format::f32, rows);
    rstd.emplace(ref::Format::f32, rows);
  }
  AbiBuffer y(problem.y_format, values);

  normcheck_problem abi{};
  abi.rows = problem.rows;
  abi.n = problem.n;
  abi.eps = problem.eps;
  abi.x = x.buffer.data();
  abi.residual = residual ? residual->buffer.data() : nullptr;
  abi.gamma = gamma ? gamma->buffer.data() : nullptr;
  abi.beta = beta ? beta->buffer.data() : nullptr;
  abi.y = y.data();
  abi.residual_out = residual_out ? residual_out->data() : nullptr;
  abi.mean = mean ? static_cast<float*>(mean->data()) : nullptr;
  abi.rstd = rstd ? static_cast<float*>(rstd->data()) : nullptr;

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

  const auto intact = [](const std::optional<AbiBuffer>& b) { return !b || b->guards_intact(); };
  const auto unchanged = [](const std::optional<InputBuffer>& b) { return !b || b->unchanged(); };
  MemoryViolations violations;
  violations.note(y.guards_intact(), "wrote outside y");
  violations.note(intact(residual_out), "wrote outside residual_out");
  violations.note(intact(mean), "wrote outside mean");
  violations.note(intact(rstd), "wrote outside rstd");
  violations.note(x.unchanged(), "changed x");
  violations.note(unchanged(residual), "changed residual");
  violations.note(unchanged(gamma), "changed gamma");
  violations.note(unchanged(beta), "changed beta");
  run.memory_violation = violations.text();

  run.y = y.load();
  y.append_unwritten(run.unwritten_y);
  if (residual_out) run.residual_out = residual_out->load();
  if (writes_stats) {
    run.mean = mean->load();
    run.rstd = rstd->load();
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
