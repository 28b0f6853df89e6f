// Shared plumbing of the property functions: running a kernel with its status turned
// into a skip or a violation, and violation messages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "harness/kernel_runner.hpp"
#include "properties/properties.hpp"

namespace normcheck::props::support {

// Runs the kernel on an already adapted problem. UNSUPPORTED marks the result skipped and
// an error status adds a "status" violation; either way nothing is returned.
std::optional<harness::KernelRun> run_or_record(const impls::KernelInfo& kernel,
                                                const ref::NormProblem& problem, PropertyResult& result);

void add_violation(PropertyResult& result, harness::ViolationClass klass, std::string message);

// Index of the first element of (row, column).
inline std::size_t at(const ref::NormProblem& p, std::int64_t row, std::int64_t column) {
  return static_cast<std::size_t>(row * p.n + column);
}

// Whether every |x| (and |residual|) lies in the budget's declared input domain.
bool within_domain(const ref::NormProblem& problem, const harness::Budget& budget);

// Copies the evaluation's verdict (skip or violations) into a property result.
void merge(PropertyResult& result, const harness::CaseEvaluation& evaluation, std::string_view context);

}  // namespace normcheck::props::support
