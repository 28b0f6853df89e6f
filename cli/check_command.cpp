// `normcheck check`: the CI correctness gate. Generated cases per kernel, findings
// minimized and printed with a replay command; exit 0 pass, 1 findings or a kernel for
// which no case was checked ("NO CASES").
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "harness/atomic_file.hpp"
#include "harness/input_error.hpp"
#include "harness/check_output.hpp"
#include "harness/checker.hpp"
#include "cli/commands.hpp"
#include "cli/common_options.hpp"
#include "harness/output_paths.hpp"
#include "harness/stop_signals.hpp"
#include "impls/plugin_loader.hpp"
#include "properties/case_source.hpp"

namespace normcheck::harness::cli {
namespace {

// More cases than a CI gate ever runs, and few enough that a slip (an extra zero or
// three) is refused instead of running for days.
constexpr std::int64_t kMaxCases = 1'000'000'000;

struct CheckArgs {
  std::vector<std::string> kernels;
  std::vector<std::string> plugins;
  std::string budgets;
  std::uint64_t seed = 1;
  std::int64_t cases = kDefaultCasesPerKernel;
  std::optional<double> time_seconds;
  std::string junit;
  std::string json;
  std::string save_failures;
  bool no_isolate = false;
  unsigned threads = 0;  // 0: every hardware thread
  bool no_shrink = false;
  std::int64_t max_findings = kDefaultMaxFindings;
  bool f64_eps = false;
  std::int64_t case_timeout_ms = kDefaultCaseTimeout.count();
};

// `--json -` / `--junit -`: standard output carries that document and nothing else. The
// real stdout is kept on another descriptor for it, and descriptor 1 becomes a copy of
// stderr, so the table, the findings and whatever a kernel prints (under --no-isolate,
// or a worker's inherited stdout) all go to stderr.
int reserve_stdout() {
  std::cout.flush();
  std::fflush(stdout);
  const int kept = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (kept < 0) throw InputError(fmt::format("-: standard output cannot be used: {}", std::strerror(errno)));
  if (::dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
    throw InputError(fmt::format("-: standard output cannot be used: {}", std::strerror(errno)));
  return kept;
}

// Writes one output ("-": the reserved stdout); "" or the one-line reason it failed.
std::string write_output(const std::string& flag, const std::string& path, const std::string& text, int stdout_fd) {
  if (path != "-") {
    try {
      write_file_atomically(path, text);
      return "";
    } catch (const OutputError& error) {
      return fmt::format("{} {}", flag, error.what());
    }
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t wrote = ::write(stdout_fd, text.data() + done, text.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return fmt::format("{} -: cannot write: {}", flag, std::strerror(wrote < 0 ? errno : ENOSPC));
    done += static_cast<std::size_t>(wrote);
  }
  return "";
}

// The kernels of one run: forward ones and backward ones, each checked by its own pass.
struct SelectedKernels {
  std::vector<impls::KernelInfo> forward;
  std::vector<impls::BackwardKernelInfo> backward;
};

SelectedKernels select_kernels(const CheckArgs& args, const std::vector<impls::KernelInfo>& all,
                               const std::vector<impls::BackwardKernelInfo>& all_backward) {
  if (args.kernels.empty()) {
    // Every correct kernel, built-in and from plugins; mutants only when named.
    return {default_check_kernels(all), default_check_kernels(all_backward)};
  }
  SelectedKernels selected;
  for (const auto& name : args.kernels) {
    if (const auto* kernel = impls::find_kernel(all, name)) {
      selected.forward.push_back(*kernel);
    } else if (const auto* backward = impls::find_backward_kernel(all_backward, name)) {
      selected.backward.push_back(*backward);
    } else {
      throw InputError(unknown_kernel_message("--kernel", name));
    }
  }
  return selected;
}

CheckReport run_both(const SelectedKernels& kernels, const BudgetTable& budgets, const props::GeneratorOptions& generator,
                     const CheckOptions& options) {
  return run_checks(kernels.forward, kernels.backward, budgets, props::make_case_source(generator),
                    props::make_backward_case_source(generator), options);
}

// A one-line progress display on a terminal, redrawn at most ten times a second.
std::function<void(const ProgressEvent&)> terminal_progress() {
  if (::isatty(STDERR_FILENO) == 0) return {};
  auto last = std::make_shared<std::chrono::steady_clock::time_point>();
  return [last](const ProgressEvent& e) {
    const auto now = std::chrono::steady_clock::now();
    if (!e.shrinking && now - *last < std::chrono::milliseconds(100)) return;
    *last = now;
    const std::string planned = e.cases_planned > 0 ? fmt::format("/{}", e.cases_planned) : "";
    std::fprintf(stderr, "\r\033[K[%zu/%zu] %s: %lld%s cases%s", e.kernel_index + 1, e.kernel_count,
                 e.kernel.c_str(), static_cast<long long>(e.cases_done), planned.c_str(),
                 e.shrinking ? ", shrinking a failure" : "");
    std::fflush(stderr);
  };
}

int run(const CheckArgs& args) {
  kill_workers_on_stop_signals();  // Ctrl-C leaves no worker spinning in a kernel
  // Every output path is checked before the run: a typo must not cost the whole run.
  if (!args.junit.empty() && !args.json.empty() && same_output_file(args.junit, args.json))
    throw InputError(fmt::format("--json {} and --junit {} name the same file: one would overwrite the other",
                                 args.json, args.junit));
  if (!args.save_failures.empty()) require_writable_directory("--save-failures", args.save_failures);
  if (!args.junit.empty() && args.junit != "-") require_writable_file("--junit", args.junit);
  if (!args.json.empty() && args.json != "-") require_writable_file("--json", args.json);
  const auto all = impls::all_kernels(args.plugins);
  const auto all_backward = impls::all_backward_kernels(args.plugins);
  const auto kernels = select_kernels(args, all, all_backward);
  const BudgetTable budgets = load_budgets(args.budgets, all, all_backward);
  CheckOptions options;
  options.seed = args.seed;
  options.cases = args.cases;
  options.time_seconds = args.time_seconds;
  options.isolate = !args.no_isolate;
  options.threads = args.threads;
  options.shrink = !args.no_shrink;
  options.max_findings = static_cast<int>(args.max_findings);
  options.case_timeout = std::chrono::milliseconds(args.case_timeout_ms);
  options.failures_dir = args.save_failures;
  options.budgets_file = args.budgets;
  options.progress = terminal_progress();
  props::GeneratorOptions generator;
  generator.eps_fp32_only = !args.f64_eps;
  if (args.f64_eps) options.case_source_flags.push_back("--f64-eps");
  if (args.save_failures.empty()) {
    // Said now, not at the first finding: without a place for cases, findings still
    // print their case (and the gate its verdict), they are just not saved.
    if (const std::string why = default_failures_directory_problem(); !why.empty()) {
      options.save_cases = false;
      std::cerr << "normcheck: note: no directory for the cases of findings (" << why
                << "); they are printed, not saved (--save-failures DIR saves them)\n";
    }
  }
  const int stdout_fd = args.json == "-" || args.junit == "-" ? reserve_stdout() : -1;

  const CheckReport report = run_both(kernels, budgets, generator, options);
  if (options.progress) std::fprintf(stderr, "\r\033[K");

  std::cout << format_summary_table(report);
  std::cout << format_run_line(report);
  std::cout << format_findings(report);
  // What could not be written is said after the summary, every item of it, and makes
  // the run bad input (exit 2): a gate whose report is missing has not reported.
  std::vector<std::string> write_errors;
  for (const auto& k : report.kernels)
    for (const auto& f : k.findings)
      if (!f.save_error.empty()) write_errors.push_back(fmt::format("case of {} not saved: {}", f.signature, f.save_error));
  if (!args.junit.empty()) write_errors.push_back(write_output("--junit", args.junit, junit_xml(report), stdout_fd));
  if (!args.json.empty()) write_errors.push_back(write_output("--json", args.json, report_json(report), stdout_fd));
  if (stdout_fd >= 0) ::close(stdout_fd);
  std::cout.flush();
  bool failed_to_write = false;
  for (const auto& error : write_errors) {
    if (error.empty()) continue;
    std::cerr << "normcheck: " << error << '\n';
    failed_to_write = true;
  }
  if (failed_to_write) return 2;
  return report.passed() ? 0 : 1;
}

}  // namespace

void add_check_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<CheckArgs>();
  CLI::App* command = app.add_subcommand(
      "check",
      "Check kernels against the oracle on generated cases (deterministic for a seed). Each\n"
      "finding is minimized, saved as a case file and printed with a command that replays it.");
  command->add_option("--kernel", args->kernels,
                      "kernel to check, forward or backward (repeatable; default: every kernel that is neither a mutant nor "
                      "a oneDNN baseline)")
      ->type_name("NAME");
  add_plugin_option(command, args->plugins);
  add_budgets_option(command, args->budgets);
  add_seed_option(command, args->seed, "seed of the case stream (same seed, same cases)");
  auto* cases = command->add_option("--cases", args->cases, fmt::format("cases per kernel, 1 to {}", kMaxCases))
                    ->type_name("N")
                    ->capture_default_str()
                    ->check(whole_number<std::int64_t>(1, kMaxCases));
  command->add_option("--time", args->time_seconds, "total time budget in seconds, split over the kernels; above 0, at most 30 days")
      ->type_name("SECONDS")
      ->check(finite_seconds(0))
      ->excludes(cases);
  add_path_option(command, "--junit", args->junit,
                  "write a JUnit XML report (a testcase per kernel; - for standard output, the table then goes to stderr)",
                  "FILE");
  add_path_option(command, "--json", args->json,
                  "write the report as JSON (- for standard output, the table then goes to stderr)", "FILE");
  add_path_option(command, "--save-failures", args->save_failures,
                  "directory for minimized failing cases (default: a temporary directory)", "DIR");
  add_isolation_options(command, args->no_isolate, args->case_timeout_ms, "run");
  add_workers_option(command, "--threads", args->threads,
                     "kernels checked at once, each in its own worker (default: every hardware thread; one with "
                     "--no-isolate)");
  command->add_flag("--no-shrink", args->no_shrink, "report failing cases as generated");
  command
      ->add_option("--max-findings", args->max_findings,
                   "distinct defects (class and regime) found and shrunk per kernel before its check stops; 1 to 1000")
      ->type_name("N")
      ->capture_default_str()
      ->check(whole_number<std::int64_t>(1, 1000));
  command->add_flag("--f64-eps", args->f64_eps,
                    "also draw eps values not representable in fp32 (catches kernels that narrow eps)");
  command->callback([args, &exit_code] { exit_code = run(*args); });
}

}  // namespace normcheck::harness::cli
