// `normcheck report`: the accuracy report (index.html, report.md, report.json and the
// worst cases) for the chosen kernels; docs/reports.md describes it.
#include <fmt/format.h>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/budget.hpp"
#include "cli/commands.hpp"
#include "cli/common_options.hpp"
#include "harness/replay_line.hpp"
#include "harness/stop_signals.hpp"
#include "report/progress.hpp"
#include "report/report_job.hpp"
#include "impls/plugin_loader.hpp"

namespace normcheck::harness::cli {
namespace {

struct ReportArgs {
  report::ReportOptions options;
  std::string out;
  std::string budgets;
  bool fail_on_findings = false;
  bool no_isolate = false;
  std::int64_t case_timeout_ms = kDefaultCaseTimeout.count();
};

// The command as the report records it: every option that shapes its content, runnable
// verbatim from the directory it was run in (the executable's real path, quoted words).
std::string command_line(const ReportArgs& args) {
  std::string line = shell_quote(executable_path()) + " report";
  for (const auto& k : args.options.kernels) line += " --kernel " + shell_quote(k);
  for (const auto& p : args.options.plugins) line += " --plugin " + shell_quote(p);
  line += fmt::format(" --out {} --seed {}", shell_quote(args.out), args.options.seed);
  if (args.options.quick) line += " --quick";
  if (!args.budgets.empty()) line += " --budgets " + shell_quote(args.budgets);
  if (args.no_isolate) line += " --no-isolate";
  if (args.case_timeout_ms != kDefaultCaseTimeout.count()) line += fmt::format(" --case-timeout-ms {}", args.case_timeout_ms);
  return line;
}

int run(ReportArgs& args) {
  kill_workers_on_stop_signals();  // Ctrl-C leaves no worker spinning in a kernel
  // A bad budgets file fails before the sweeps, as a bad --out does (run_report_job).
  (void)load_budgets(args.budgets, impls::all_kernels(args.options.plugins),
                     impls::all_backward_kernels(args.options.plugins));
  report::ReportOptions& options = args.options;
  options.out_dir = args.out;
  if (!args.budgets.empty()) options.budgets_file = args.budgets;
  options.command = command_line(args);
  options.progress = report::stderr_is_terminal();
  options.isolate = !args.no_isolate;
  options.case_timeout = std::chrono::milliseconds(args.case_timeout_ms);
  const report::ReportJobResult result = report::run_report_job(options);
  std::cout << result.summary << '\n';
  if (!result.write_error.empty()) {
    std::cout.flush();
    std::cerr << "normcheck: report not written, " << args.out << " left as it was: " << result.write_error << '\n';
  }
  return result.exit_code;
}

}  // namespace

void add_report_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* command = app.add_subcommand(
      "report",
      "Write an accuracy report: index.html (offline charts), report.md (tables for a pull\n"
      "request), report.json (every number) and the worst cases under OUT/cases/.");
  command->add_option("--kernel", args->options.kernels,
                      "kernel to report on (repeatable; default: every kernel that is not a mutant, oneDNN baselines included)")
      ->type_name("NAME");
  add_plugin_option(command, args->options.plugins);
  add_path_option(command, "--out", args->out,
                  "output directory, replaced whole at the end (new, empty, or a previous report)", "DIR")
      ->required();
  add_seed_option(command, args->options.seed, "seed of the sweeps' rows (same seed, same report)");
  command->add_flag("--quick", args->options.quick, "small sweeps (for CI)");
  add_budgets_option(command, args->budgets);
  add_workers_option(command, "--threads", args->options.threads, "worker threads (default: every hardware thread)");
  // Exit 1 on findings was once opt-in; it is the contract now, and the flag is kept so
  // that scripts which pass it still run.
  command->add_flag("--fail-on-findings", args->fail_on_findings,
                    "accepted for older scripts: report exits 1 on findings by default");
  add_isolation_options(command, args->no_isolate, args->case_timeout_ms, "report");
  command->callback([args, &exit_code] { exit_code = run(*args); });
}

}  // namespace normcheck::harness::cli
