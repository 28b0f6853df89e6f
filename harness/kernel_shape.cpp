// What a kernel declares it computes, and how problems are matched to it (kernel_shape.hpp).
#include "harness/kernel_shape.hpp"

#include <fmt/format.h>

namespace normcheck::harness {

bool kernel_accepts(const normcheck_kernel& kernel, const ref::NormProblem& problem) {
  return static_cast<int>(kernel.op) == static_cast<int>(problem.op) &&
         format_of(kernel.x_dtype) == problem.x_format &&
         format_of(kernel.param_dtype) == problem.param_format &&
         format_of(kernel.y_dtype) == problem.y_format &&
         (!problem.has_residual() || (kernel.flags & NORMCHECK_FUSED_RESIDUAL) != 0);
}

std::string problem_mismatch(const normcheck_kernel& kernel, const ref::NormProblem& problem) {
  const bool fused = (kernel.flags & NORMCHECK_FUSED_RESIDUAL) != 0;
  const bool rounded_sum = (kernel.flags & NORMCHECK_NORMALIZES_ROUNDED_SUM) != 0;
  const bool same_dtypes = format_of(kernel.x_dtype) == problem.x_format &&
                           format_of(kernel.param_dtype) == problem.param_format &&
                           format_of(kernel.y_dtype) == problem.y_format;
  const bool residual_fits = !problem.has_residual() ||
                             (fused && rounded_sum == (problem.residual_sum == ref::ResidualSum::rounded));
  if (static_cast<int>(kernel.op) == static_cast<int>(problem.op) && same_dtypes && residual_fits) return "";
  const auto sum_name = [](bool rounded) { return rounded ? "rounded sum" : "exact sum"; };
  std::string is = fmt::format("{} {}/{}/{}", ref::op_name(problem.op),
                               ref::format_name(problem.x_format), ref::format_name(problem.param_format),
                               ref::format_name(problem.y_format));
  is += problem.has_residual()
            ? fmt::format(" with residual ({})", sum_name(problem.residual_sum == ref::ResidualSum::rounded))
            : " without residual";
  std::string takes = fmt::format("{} {}/{}/{}", ref::op_name(op_of(kernel.op)),
                                  ref::format_name(format_of(kernel.x_dtype)),
                                  ref::format_name(format_of(kernel.param_dtype)),
                                  ref::format_name(format_of(kernel.y_dtype)));
  takes += fused ? fmt::format(" with or without residual ({})", sum_name(rounded_sum)) : " without residual";
  return fmt::format("case is {}, kernel takes {}", is, takes);
}

std::string problem_mismatch(const normcheck_backward_kernel& kernel, const ref::BackwardProblem& problem) {
  const auto describe = [](ref::Op op, ref::Format x, ref::Format param, ref::Format dy) {
    return fmt::format("{} backward {}/{}/{}", ref::op_name(op), ref::format_name(x), ref::format_name(param),
                       ref::format_name(dy));
  };
  const std::string is = describe(problem.op, problem.x_format, problem.param_format, problem.dy_format);
  const std::string takes = describe(op_of(kernel.op), format_of(kernel.x_dtype), format_of(kernel.param_dtype),
                                     format_of(kernel.y_dtype));
  return is == takes ? std::string() : fmt::format("case is {}, kernel takes {}", is, takes);
}

ref::NormProblem adapt_problem(const normcheck_kernel& kernel, ref::NormProblem problem) {
  problem.op = op_of(kernel.op);
  problem.x_format = format_of(kernel.x_dtype);
  problem.param_format = format_of(kernel.param_dtype);
  problem.y_format = format_of(kernel.y_dtype);
  const auto round_all = [](std::vector<double>& values, ref::Format format) {
    ref::round_to_format(format, values.data(), values.size());
  };
  round_all(problem.x, problem.x_format);
  round_all(problem.residual, problem.x_format);
  round_all(problem.gamma, problem.param_format);
  round_all(problem.beta, problem.param_format);
  if ((kernel.flags & NORMCHECK_FUSED_RESIDUAL) == 0) problem.residual.clear();
  problem.residual_sum = (kernel.flags & NORMCHECK_NORMALIZES_ROUNDED_SUM) != 0
                             ? ref::ResidualSum::rounded
                             : ref::ResidualSum::exact;
  return problem;
}

KernelShape kernel_shape(const normcheck_kernel& kernel) {
  KernelShape shape;
  shape.op = op_of(kernel.op);
  shape.x_format = format_of(kernel.x_dtype);
  shape.param_format = format_of(kernel.param_dtype);
  shape.y_format = format_of(kernel.y_dtype);
  shape.fused = (kernel.flags & NORMCHECK_FUSED_RESIDUAL) != 0;
  shape.residual_sum = (kernel.flags & NORMCHECK_NORMALIZES_ROUNDED_SUM) != 0 ? ref::ResidualSum::rounded
                                                                              : ref::ResidualSum::exact;
  return shape;
}

}  // namespace normcheck::harness
