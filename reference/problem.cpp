#include "reference/problem.hpp"

namespace normcheck::ref {

std::string_view op_name(Op op) { return op == Op::layernorm ? "layernorm" : "rmsnorm"; }

std::optional<Op> parse_op(std::string_view name) {
  if (name == "layernorm") return Op::layernorm;
  if (name == "rmsnorm") return Op::rmsnorm;
  return std::nullopt;
}

}  // namespace normcheck::ref
