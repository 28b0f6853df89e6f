// The backward target's layout over the forward one (backward_input.hpp).
#include "fuzz/backward_input.hpp"

#include <utility>

namespace normcheck::fuzz {

harness::KernelShape carrier_shape(const normcheck_backward_kernel& kernel) {
  harness::KernelShape shape;
  shape.op = harness::op_of(kernel.op);
  shape.x_format = harness::format_of(kernel.x_dtype);
  shape.param_format = harness::format_of(kernel.param_dtype);
  shape.y_format = harness::format_of(kernel.y_dtype);
  shape.fused = true;
  return shape;
}

std::optional<BackwardFuzzInput> decode_backward_input(const std::uint8_t* data, std::size_t size,
                                                       const harness::KernelShape& carrier) {
  if (size < kDyHeaderBytes) return std::nullopt;
  auto forward = decode_input(data + kDyHeaderBytes, size - kDyHeaderBytes, carrier);
  if (!forward) return std::nullopt;
  return BackwardFuzzInput{decode_dy_header(data[0], data[1]), std::move(*forward)};
}

std::vector<std::uint8_t> encode_backward_input(const BackwardFuzzInput& input) {
  std::vector<std::uint8_t> out;
  encode_dy_header(input.dy, out);
  const auto forward = encode_input(input.carrier);
  out.insert(out.end(), forward.begin(), forward.end());
  return out;
}

ref::BackwardProblem to_backward_problem(const BackwardFuzzInput& input, const harness::KernelShape& carrier) {
  ref::NormProblem forward = to_problem(input.carrier, carrier);
  std::vector<double> dy = std::move(forward.residual);
  if (dy.empty()) {
    dy.assign(forward.x.size(), 1.0);
  } else if (carrier.y_format != carrier.x_format) {
    for (double& v : dy) v = ref::round_to_format(carrier.y_format, v);
  }
  dy = apply_dy_header(input.dy, carrier.op, carrier.y_format, forward.x, forward.rows, forward.n, std::move(dy));
  return ref::backward_problem(forward, std::move(dy));
}

BackwardFuzzInput from_backward_problem(const ref::BackwardProblem& problem) {
  ref::NormProblem forward = ref::forward_problem(problem);
  forward.residual = problem.dy;
  if (problem.dy_format != problem.x_format) {
    for (double& v : forward.residual) v = ref::round_to_format(problem.x_format, v);
  }
  return BackwardFuzzInput{DyHeader{}, from_problem(forward)};
}

BackwardFuzzInput from_forward_case(const ref::NormProblem& problem) {
  ref::NormProblem forward = problem;
  forward.beta.clear();
  if (forward.residual.empty()) forward.residual = forward.x;
  return BackwardFuzzInput{DyHeader{}, from_problem(forward)};
}

}  // namespace normcheck::fuzz
