// `normcheck report`: the accuracy report (index.html, report.md, report.json and the
// worst cases) for the chosen kernels; docs/reports.md describes it.
#include <fmt/format.h>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "harness/atomic_file.hpp"
#include "harness/budget.hpp"
#include "cli/commands.hpp"
#include "cli/common_options.hpp"
#include "harness/replay_line.hpp"
#include "harness/stop_signals.hpp"
#include "report/progress.hpp"
#include "report/run_report.hpp"
#include "report/web_assets.hpp"
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

// The report replaces --out as a whole, so --out must hold nothing but a report: missing,
// empty, or a previous report's files. Anything else would be deleted with the old
// report (`--out .` in a source tree).
void require_replaceable_report_directory(const std::string& out) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::is_directory(out, error)) return;  // missing, or not a directory: StagedDirectory says which
  for (auto it = fs::directory_iterator(out, error); !error && it != fs::directory_iterator(); it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name != "index.html" && name != "report.md" && name != "report.json" && name != "cases")
      throw InputError(fmt::format("--out {}: holds \"{}\", which is not part of a report; the report replaces its "
                                   "directory as a whole, so give a new directory, an empty one or a previous report's",
                                   out, name));
  }
  if (error) throw InputError(fmt::format("--out {}: cannot list the directory: {}", out, error.message()));
}

int run(ReportArgs& args) {
  kill_workers_on_stop_signals();  // Ctrl-C leaves no worker spinning in a kernel
  // Bad output paths, budgets and missing charting bundles fail before the sweeps. The
  // probe stages a directory beside --out (where the new report will be written) and
  // removes it again.
  require_replaceable_report_directory(args.out);
  { const StagedDirectory probe("--out", args.out); }
  (void)load_budgets(args.budgets, impls::all_kernels(args.options.plugins),
                     impls::all_backward_kernels(args.options.plugins));
  (void)report::load_web_assets();
  report::ReportOptions& options = args.options;
  options.out_dir = args.out;
  if (!args.budgets.empty()) options.budgets_file = args.budgets;
  options.command = command_line(args);
  options.progress = report::stderr_is_terminal();
  options.isolate = !args.no_isolate;
  options.case_timeout = std::chrono::milliseconds(args.case_timeout_ms);
  const report::ReportModel model = report::run_report(options);
  // The new report is written beside the old one and swapped in whole: a full disk or a
  // kill leaves the previous report as it was (docs/reports.md, "Outputs").
  std::string write_error;
  try {
    // Again at the end: what was put into --out during the run is not deleted either.
    require_replaceable_report_directory(args.out);
    StagedDirectory staged("--out", args.out);
    report::write_report(model, staged.path());
    staged.commit();
  } catch (const InputError& error) {  // OutputError, or --out no longer a report's
    write_error = error.what();
  }
  // A kernel that was not tested (every case skipped) is never a pass, as in `check`.
  std::size_t failing = 0, untested = 0;
  const auto count = [&](const report::Tally& overall) {
    failing += overall.kernel_verdict() == report::Verdict::fail ? 1 : 0;
    untested += overall.kernel_verdict() == report::Verdict::no_cases ? 1 : 0;
  };
  for (const auto& k : model.kernels) count(k.overall);
  for (const auto& k : model.backward_kernels) count(k.overall);
  const std::string written = write_error.empty()
                                  ? fmt::format("{}/index.html, {}/report.md, {}/report.json", args.out, args.out, args.out)
                                  : fmt::format("NOT written ({} left as it was)", args.out);
  std::cout << fmt::format("normcheck report: {} kernel(s), {} with findings, {} with no cases checked, {:.1f} s on {} "
                           "thread(s): {}\n",
                           model.kernels.size() + model.backward_kernels.size(), failing, untested, model.wall_seconds, model.threads, written);
  if (!write_error.empty()) {
    std::cout.flush();
    std::cerr << "normcheck: report not written, " << args.out << " left as it was: " << write_error << '\n';
    return 2;
  }
  // The CLI contract: 1 when there are findings, as in check (a kernel that failed a
  // case, or one of which no case was checked), with the report written all the same.
  return failing + untested > 0 ? 1 : 0;
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
