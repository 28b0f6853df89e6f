// Replaying saved cases against their recorded verdicts.
#include "harness/replay.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <system_error>
#include <fmt/format.h>

#include "harness/checker.hpp"
#include "harness/isolation.hpp"
#include "harness/kernel_shape.hpp"
#include "harness/replay_line.hpp"
#include "impls/plugin_loader.hpp"

namespace normcheck::harness {
namespace {

// A forward case's problem, or a backward case's; "" when it is the kernel's pass, else why not.
std::string pass_mismatch(const impls::KernelInfo& kernel, const Case& c) {
  if (c.direction == Direction::backward)
    return fmt::format("a backward case, and {} is a forward kernel", kernel.kernel->name);
  return problem_mismatch(*kernel.kernel, c.problem);
}
std::string pass_mismatch(const impls::BackwardKernelInfo& kernel, const Case& c) {
  if (c.direction == Direction::forward)
    return fmt::format("a forward case, and {} is a backward kernel", kernel.kernel->name);
  return problem_mismatch(*kernel.kernel, backward_problem(c));
}

IsolatedOutcome evaluate_isolated(const impls::KernelInfo& kernel, const Case& c, const BudgetTable& budgets,
                                  const ReplayOptions& options) {
  IsolatedEvaluator evaluator(kernel, budgets.for_kernel(kernel), EvaluateOptions{}, options.case_timeout,
                              options.isolate);
  return evaluator.evaluate(c.problem);
}
IsolatedOutcome evaluate_isolated(const impls::BackwardKernelInfo& kernel, const Case& c, const BudgetTable& budgets,
                                  const ReplayOptions& options) {
  IsolatedEvaluator evaluator(kernel, budgets.for_kernel(kernel), options.case_timeout, options.isolate);
  return evaluator.evaluate(backward_problem(c));
}

template <typename Kernel>
ReplayResult replay_on(const std::filesystem::path& file, const Case& c, const Kernel& kernel,
                       const BudgetTable& budgets, Verdict expected, const ReplayOptions& options) {
  ReplayResult result;
  result.file = file;
  result.kernel = kernel.kernel->name;
  result.expected = expected;
  if (auto mismatch = pass_mismatch(kernel, c); !mismatch.empty()) {
    result.observed = Verdict::skipped;
    result.incompatible = true;
    result.detail = std::move(mismatch);
    return result;
  }
  const auto outcome = evaluate_isolated(kernel, c, budgets, options);
  const std::vector<Violation> violations = outcome.violations();
  if (outcome.kind == IsolatedOutcome::Kind::evaluated && outcome.evaluation.skipped) {
    result.observed = Verdict::skipped;
    result.detail = outcome.evaluation.skip_reason;
  } else if (violations.empty()) {
    result.observed = Verdict::pass;
  } else {
    result.observed = Verdict::fail;
    result.detail = fmt::format("[{}] {}", class_name(violations.front().klass), violations.front().message);
  }
  return result;
}

// The case on the named kernel, forward or backward.
ReplayResult replay_on_named(const std::filesystem::path& file, const Case& c, const std::string& name,
                             const std::vector<impls::KernelInfo>& kernels,
                             const std::vector<impls::BackwardKernelInfo>& backward_kernels, const BudgetTable& budgets,
                             std::optional<Verdict> expected, const ReplayOptions& options) {
  if (const auto* kernel = impls::find_kernel(kernels, name))
    return replay_on(file, c, *kernel, budgets, expected.value_or(expected_verdict(*kernel)), options);
  if (const auto* kernel = impls::find_backward_kernel(backward_kernels, name))
    return replay_on(file, c, *kernel, budgets, expected.value_or(expected_verdict(*kernel)), options);
  throw InputError(unknown_kernel_message(file.string(), name));
}

}  // namespace

std::vector<std::filesystem::path> collect_case_files(const std::vector<std::filesystem::path>& inputs) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  // Error codes, not exceptions: a symlink loop or an unreadable directory is the user's
  // input (one line, exit 2), not a filesystem_error (an internal error).
  for (const auto& input : inputs) {
    std::error_code error;
    const auto status = fs::status(input, error);
    if (error && error != std::errc::no_such_file_or_directory)
      throw InputError(fmt::format("{}: {}", input.string(), error.message()));
    if (fs::is_directory(status)) {
      std::vector<fs::path> found;
      for (auto it = fs::directory_iterator(input, error); !error && it != fs::directory_iterator(); it.increment(error)) {
        // Every *.json but a directory: read_case_file then refuses a FIFO, a device or a
        // dangling link by name instead of it being skipped without a word.
        std::error_code entry_error;
        if (it->path().extension() == ".json" && !it->is_directory(entry_error)) found.push_back(it->path());
      }
      if (error) throw InputError(fmt::format("{}: cannot list the directory: {}", input.string(), error.message()));
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(status)) {
      files.push_back(input);
    } else {
      throw InputError(fmt::format("{}: no such file or directory", input.string()));
    }
  }
  if (files.empty()) throw InputError("replay: no case files (*.json) found in the given paths");
  return files;
}

std::vector<ReplayResult> replay_case(const std::filesystem::path& file, const Case& c,
                                      const std::vector<impls::KernelInfo>& kernels,
                                      const std::vector<impls::BackwardKernelInfo>& backward_kernels,
                                      const BudgetTable& budgets, const ReplayOptions& options) {
  // --kernel: that kernel's own expected verdict; else the file's kernel and its "expect".
  if (options.kernel)
    return {replay_on_named(file, c, *options.kernel, kernels, backward_kernels, budgets, std::nullopt, options)};
  const Verdict expected = c.expect.value_or(Verdict::pass);
  if (!c.kernel.empty())
    return {replay_on_named(file, c, c.kernel, kernels, backward_kernels, budgets, expected, options)};
  std::vector<ReplayResult> results;
  if (c.direction == Direction::backward) {
    for (const auto& kernel : default_check_kernels(backward_kernels)) {
      if (!pass_mismatch(kernel, c).empty()) continue;
      results.push_back(replay_on(file, c, kernel, budgets, expected, options));
    }
    return results;
  }
  for (const auto& kernel : default_check_kernels(kernels)) {
    if (!pass_mismatch(kernel, c).empty()) continue;
    results.push_back(replay_on(file, c, kernel, budgets, expected, options));
  }
  return results;
}

}  // namespace normcheck::harness
