// Replaying saved cases against their recorded verdicts.
#include "harness/replay.hpp"

#include <algorithm>
#include <chrono>
#include <system_error>
#include <fmt/format.h>

#include "harness/checker.hpp"
#include "harness/isolation.hpp"
#include "harness/kernel_shape.hpp"
#include "harness/replay_line.hpp"
#include "impls/plugin_loader.hpp"

namespace normcheck::harness {
namespace {

ReplayResult replay_on(const std::filesystem::path& file, const Case& c, const impls::KernelInfo& kernel,
                       const BudgetTable& budgets, Verdict expected, const ReplayOptions& options) {
  ReplayResult result;
  result.file = file;
  result.kernel = kernel.kernel->name;
  result.expected = expected;
  if (auto mismatch = problem_mismatch(*kernel.kernel, c.problem); !mismatch.empty()) {
    result.observed = Verdict::skipped;
    result.incompatible = true;
    result.detail = std::move(mismatch);
    return result;
  }
  IsolatedEvaluator evaluator(kernel, budgets.for_kernel(kernel), EvaluateOptions{}, options.case_timeout,
                              options.isolate);
  const auto outcome = evaluator.evaluate(c.problem);
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
                                      const BudgetTable& budgets, const ReplayOptions& options) {
  auto named = [&](const std::string& name) {
    const auto* kernel = impls::find_kernel(kernels, name);
    if (kernel == nullptr) throw InputError(unknown_kernel_message(file.string(), name));
    return *kernel;
  };
  if (c.direction == Direction::backward) {
    // The oracle answers backward cases (`normcheck oracle`); no command runs backward kernels yet.
    throw InputError(file.string() + ": field \"direction\": backward cases cannot be replayed yet (no command runs "
                     "backward kernels; `normcheck oracle` gives their exact gradients)");
  }
  const Verdict expected = c.expect.value_or(Verdict::pass);
  if (options.kernel) {
    const impls::KernelInfo kernel = named(*options.kernel);
    return {replay_on(file, c, kernel, budgets, expected_verdict(kernel), options)};
  }
  if (!c.kernel.empty()) return {replay_on(file, c, named(c.kernel), budgets, expected, options)};
  std::vector<ReplayResult> results;
  for (const auto& kernel : default_check_kernels(kernels)) {
    if (!problem_mismatch(*kernel.kernel, c.problem).empty()) continue;
    results.push_back(replay_on(file, c, kernel, budgets, expected, options));
  }
  return results;
}

}  // namespace normcheck::harness
