// `normcheck replay CASE.json|DIR... [--kernel NAME] [--plugin LIB]...`: re-checks saved
// cases. Without --kernel each case's recorded kernel and verdict must still hold; with
// --kernel every case must pass on that kernel.
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "harness/cli/commands.hpp"
#include "harness/replay.hpp"
#include "impls/plugin_loader.hpp"

namespace normcheck::harness::cli {
namespace {

struct ReplayArgs {
  std::vector<std::string> paths;
  std::optional<std::string> kernel;
  std::vector<std::string> plugins;
  std::string budgets;
  bool no_isolate = false;
};

std::string describe(const ReplayResult& r) {
  if (r.observed == "skipped") return fmt::format("skip  {} on {}: {}", r.file.string(), r.kernel, r.detail);
  if (r.fixed())
    return fmt::format("FIXED {} on {}: recorded as failing, now passes (update or remove the case)",
                       r.file.string(), r.kernel);
  if (r.as_expected()) {
    return r.observed == "fail" ? fmt::format("ok    {} on {}: still fails as recorded {}", r.file.string(),
                                              r.kernel, r.detail)
                                : fmt::format("ok    {} on {}: passes", r.file.string(), r.kernel);
  }
  return fmt::format("FAIL  {} on {}: {}", r.file.string(), r.kernel, r.detail);
}

int run(const ReplayArgs& args) {
  std::vector<std::filesystem::path> inputs(args.paths.begin(), args.paths.end());
  const auto files = collect_case_files(inputs);
  const auto kernels = impls::all_kernels(args.plugins);
  const BudgetTable budgets = args.budgets.empty() ? BudgetTable{} : BudgetTable::load(args.budgets);
  ReplayOptions options;
  options.kernel = args.kernel;
  options.isolate = !args.no_isolate;
  std::size_t replayed = 0, contradicted = 0;
  for (const auto& file : files) {
    const Case c = read_case_file(file);
    const auto results = replay_case(file, c, kernels, budgets, options);
    if (results.empty()) std::cout << fmt::format("skip  {}: no kernel accepts this case\n", file.string());
    for (const auto& r : results) {
      ++replayed;
      if (!r.as_expected()) ++contradicted;
      std::cout << describe(r) << '\n';
    }
  }
  std::cout << fmt::format("{} case files, {} replays, {} not as recorded\n", files.size(), replayed, contradicted);
  return contradicted == 0 ? 0 : 1;
}

}  // namespace

void add_replay_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ReplayArgs>();
  CLI::App* command = app.add_subcommand(
      "replay",
      "Re-check saved case files (directories: their *.json). Without --kernel, each case runs on\n"
      "the kernel it names (or, naming none, on every correct kernel of its op) and its recorded\n"
      "verdict (\"expect\", default pass) must still hold; a recorded failure that now passes is\n"
      "reported as FIXED. With --kernel, every case must pass on that kernel.");
  command->add_option("CASES", args->paths, "case files or directories")->required();
  command->add_option("--kernel", args->kernel, "replay on this kernel instead of the one in the file");
  command->add_option("--plugin", args->plugins, "shared library exporting normcheck_plugin_kernels (repeatable)");
  command->add_option("--budgets", args->budgets, "TOML file of per-kernel budgets")->check(CLI::ExistingFile);
  command->add_flag("--no-isolate", args->no_isolate, "run kernels in this process");
  command->callback([args, &exit_code] { exit_code = run(*args); });
}

}  // namespace normcheck::harness::cli
