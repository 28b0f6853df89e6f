#include "reference/problem.hpp"

#include "reference/backward_problem.hpp"

#include <utility>

namespace normcheck::ref {

std::string_view op_name(Op op) { return op == Op::layernorm ? "layernorm" : "rmsnorm"; }

std::optional<Op> parse_op(std::string_view name) {
  if (name == "layernorm") return Op::layernorm;
  if (name == "rmsnorm") return Op::rmsnorm;
  return std::nullopt;
}

NormProblem forward_problem(const BackwardProblem& problem) {
  NormProblem forward;
  forward.op = problem.op;
  forward.x_format = problem.x_format;
  forward.param_format = problem.param_format;
  forward.y_format = problem.dy_format;
  forward.rows = problem.rows;
  forward.n = problem.n;
  forward.eps = problem.eps;
  forward.x = problem.x;
  forward.gamma = problem.gamma;
  return forward;
}

BackwardProblem backward_problem(const NormProblem& forward, std::vector<double> dy) {
  BackwardProblem problem;
  problem.op = forward.op;
  problem.x_format = forward.x_format;
  problem.param_format = forward.param_format;
  problem.dy_format = forward.y_format;
  problem.rows = forward.rows;
  problem.n = forward.n;
  problem.eps = forward.eps;
  problem.x = forward.x;
  problem.dy = std::move(dy);
  problem.gamma = forward.gamma;
  return problem;
}

}  // namespace normcheck::ref
