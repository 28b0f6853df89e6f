// Binary encoding of problems and evaluations for the pipe between the checker and its
// worker process. Same machine, same build: no versioning, native byte order.
#pragma once

#include <string>
#include <string_view>

#include "harness/evaluate.hpp"
#include "reference/backward_problem.hpp"
#include "reference/oracle.hpp"

namespace normcheck::harness::wire {

std::string encode_problem(const ref::NormProblem& problem);
ref::NormProblem decode_problem(std::string_view bytes);  // throws std::runtime_error if truncated

std::string encode_backward_problem(const ref::BackwardProblem& problem);
ref::BackwardProblem decode_backward_problem(std::string_view bytes);  // likewise

std::string encode_evaluation(const CaseEvaluation& evaluation);
CaseEvaluation decode_evaluation(std::string_view bytes);

}  // namespace normcheck::harness::wire
