// `normcheck replay CASE.json|DIR... [--kernel NAME] [--plugin LIB]...`: re-checks saved
// cases. Without --kernel each case's recorded kernel and "expect" must still hold; with
// --kernel every case that kernel computes must give that kernel's expected verdict (pass,
// or fail for a mutant; others are skipped, and a replay of which no case fits the kernel
// is bad input, exit 2).
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/common_options.hpp"
#include "harness/replay.hpp"
#include "harness/stop_signals.hpp"
#include "harness/verdict.hpp"
#include "impls/plugin_loader.hpp"

namespace normcheck::harness::cli {
namespace {

struct ReplayArgs {
  std::vector<std::string> paths;
  std::optional<std::string> kernel;
  std::vector<std::string> plugins;
  std::string budgets;
  bool no_isolate = false;
  std::int64_t case_timeout_ms = kDefaultCaseTimeout.count();
};

std::string describe(const ReplayResult& r) {
  if (r.observed == Verdict::skipped && !r.as_expected())
    return fmt::format("FAIL  {} on {}: recorded as failing, now skipped: {}", r.file.string(), r.kernel, r.detail);
  if (r.observed == Verdict::skipped)
    return fmt::format("skip  {} on {}: skipped: {}", r.file.string(), r.kernel, r.detail);
  if (r.fixed())
    return fmt::format("FIXED {} on {}: recorded \"expect\": \"fail\", now passes (a mutant no longer caught, or a "
                       "fixed kernel: set \"expect\": \"pass\" to keep the case as a regression test)",
                       r.file.string(), r.kernel);
  if (r.as_expected()) {
    return r.observed == Verdict::fail ? fmt::format("ok    {} on {}: still fails as recorded {}", r.file.string(),
                                                     r.kernel, r.detail)
                                       : fmt::format("ok    {} on {}: passes", r.file.string(), r.kernel);
  }
  return fmt::format("FAIL  {} on {}: still fails: {}", r.file.string(), r.kernel, r.detail);
}

int run(const ReplayArgs& args) {
  kill_workers_on_stop_signals();  // Ctrl-C leaves no worker spinning in a kernel
  std::vector<std::filesystem::path> inputs(args.paths.begin(), args.paths.end());
  const auto files = collect_case_files(inputs);
  const auto kernels = impls::all_kernels(args.plugins);
  const auto backward_kernels = impls::all_backward_kernels(args.plugins);
  const BudgetTable budgets = load_budgets(args.budgets, kernels, backward_kernels);
  ReplayOptions options;
  options.kernel = args.kernel;
  options.isolate = !args.no_isolate;
  options.case_timeout = std::chrono::milliseconds(args.case_timeout_ms);
  std::size_t replayed = 0, contradicted = 0, ran_on_named = 0;
  for (const auto& file : files) {
    const Case c = read_case_file(file);
    const auto results = replay_case(file, c, kernels, backward_kernels, budgets, options);
    if (results.empty())
      std::cout << fmt::format("skip  {}: no correct {} kernel has this op, these dtypes and this residual form\n",
                               file.string(), c.direction == Direction::backward ? "backward" : "forward");
    for (const auto& r : results) {
      ++replayed;
      if (!r.incompatible) ++ran_on_named;
      if (!r.as_expected()) ++contradicted;
      std::cout << describe(r) << '\n';
    }
  }
  std::cout << fmt::format("{} case files, {} replays, {} as expected, {} not\n", files.size(), replayed,
                           replayed - contradicted, contradicted);
  if (args.kernel && ran_on_named == 0)
    throw InputError(fmt::format("replay --kernel {}: no case of this replay is a problem that kernel computes "
                                 "(op, x/param/y dtypes and residual must match; see the skip lines)",
                                 *args.kernel));
  return contradicted == 0 ? 0 : 1;
}

}  // namespace

void add_replay_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ReplayArgs>();
  CLI::App* command = app.add_subcommand(
      "replay",
      "Re-check saved case files (directories: their *.json). Without --kernel, each case runs on\n"
      "the kernel it names (or, naming none, on every correct kernel whose op, dtypes and residual\n"
      "form match it exactly) and its recorded verdict (\"expect\", default pass) must still hold;\n"
      "a recorded failure that now passes is reported as FIXED. With --kernel, every case that\n"
      "kernel computes must pass on it; cases it does not compute are skipped, never converted.");
  command->add_option("CASES", args->paths, "case files or directories")->required()->type_name("PATH");
  command->add_option("--kernel", args->kernel, "replay on this kernel instead of the one in the file")
      ->type_name("NAME");
  add_plugin_option(command, args->plugins);
  add_budgets_option(command, args->budgets);
  add_isolation_options(command, args->no_isolate, args->case_timeout_ms, "replay");
  command->callback([args, &exit_code] { exit_code = run(*args); });
}

}  // namespace normcheck::harness::cli
