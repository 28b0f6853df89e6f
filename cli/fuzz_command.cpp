// `normcheck fuzz --kernel NAME [--plugin LIB] --time SECONDS [--jobs N] [--corpus DIR]`:
// runs the kernel's libFuzzer target as one process per job (the throughput build, and
// the AddressSanitizer build for one job of several or with --sanitize), then turns its
// findings into minimized, deduplicated regression cases and prints a summary.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "harness/input_error.hpp"
#include "harness/checker.hpp"
#include "harness/input_trace.hpp"
#include "cli/commands.hpp"
#include "cli/common_options.hpp"
#include "cli/fuzz_findings.hpp"
#include "cli/fuzz_process.hpp"
#include "cli/fuzz_setup.hpp"
#include "harness/output_paths.hpp"
#include "harness/replay_line.hpp"
#include "harness/stop_signals.hpp"
#include "impls/plugin_loader.hpp"

namespace normcheck::harness::cli {
namespace {

namespace fs = std::filesystem;

struct FuzzArgs {
  std::string kernel;
  std::string plugin;
  std::string budgets;
  double time_seconds = 0;
  int jobs = 1;
  std::string corpus;      // where minimized findings go
  std::string fuzzer_dir;  // where the throughput build's fuzz binaries are
  std::string asan_fuzzer_dir;  // where the AddressSanitizer build's are
  bool sanitize = false;   // every job runs the AddressSanitizer build
  std::string work_dir;    // libFuzzer's evolving corpus, artifacts and logs
};

// OSS-Fuzz <target>.options: the [libfuzzer] section's "key = value" lines as -key=value.
std::vector<std::string> libfuzzer_options(const fs::path& options_file) {
  std::vector<std::string> flags;
  std::ifstream in(options_file);
  std::string line;
  bool in_section = false;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      in_section = line.rfind("[libfuzzer]", 0) == 0;
      continue;
    }
    const auto eq = line.find('=');
    if (!in_section || eq == std::string::npos) continue;
    auto trim = [](std::string s) {
      s.erase(0, s.find_first_not_of(" \t"));
      s.erase(s.find_last_not_of(" \t\r") + 1);
      return s;
    };
    flags.push_back("-" + trim(line.substr(0, eq)) + "=" + trim(line.substr(eq + 1)));
  }
  return flags;
}

// libFuzzer's per-input -timeout, from <target>.options (10 s), shortened for a short run:
// a hanging kernel must be a timeout finding before --time is over, and a job runs the
// corpus first, each hanging input costing a whole timeout. A tenth of
// --time, at least 1 s: an input here is at most 4096 bytes, milliseconds on a correct
// kernel even with sanitizers.
void shorten_input_timeout(std::vector<std::string>& flags, double time_seconds) {
  const long long short_timeout = std::max(1LL, static_cast<long long>(time_seconds / 10));
  for (std::string& flag : flags) {
    if (flag.rfind("-timeout=", 0) != 0) continue;
    const long long configured = std::atoll(flag.c_str() + 9);
    if (configured <= 0 || configured > short_timeout) flag = "-timeout=" + std::to_string(short_timeout);
    return;
  }
}

// The artifacts libFuzzer wrote for this run (crash-, timeout-, oom-, leak-...).
bool has_artifacts(const fs::path& artifacts) {
  std::error_code error;
  return fs::directory_iterator(artifacts, error) != fs::directory_iterator();
}

std::string human_count(std::int64_t n) {
  char text[32];
  if (n >= 10'000'000) std::snprintf(text, sizeof text, "%.1fM", static_cast<double>(n) / 1e6);
  else if (n >= 10'000) std::snprintf(text, sizeof text, "%.1fk", static_cast<double>(n) / 1e3);
  else std::snprintf(text, sizeof text, "%lld", static_cast<long long>(n));
  return text;
}

// The jobs of one build in the run: its binary, how many, artifacts and the first log.
struct FuzzProcessPlan {
  FuzzBuild build;
  int jobs;
  FuzzTarget target;
  fs::path log;
};

// One job's libFuzzer command line. Outside fork mode: libFuzzer's fork mode runs job k for
// k seconds and merges each job's inputs in another process, so a 60 s run fuzzed about
// three quarters of its time; a process that crashes is restarted instead
// (run_fuzzer_processes). Every job writes new inputs to the one evolving corpus (files
// named by content, so they never clash) and reads the others' every second (-reload).
std::vector<std::string> fuzzer_argv(const FuzzProcessPlan& plan, const std::string& target_name, const fs::path& work,
                                     const fs::path& seeds, double time_seconds) {
  const fs::path dir = plan.target.binary.parent_path();
  std::vector<std::string> argv = {plan.target.binary.string(),
                                   "-max_total_time=" + std::to_string(static_cast<long long>(time_seconds + 0.5)),
                                   "-artifact_prefix=" + plan.target.artifacts.string() + "/",
                                   "-print_final_stats=1",
                                   "-reload=1"};
  std::vector<std::string> configured = libfuzzer_options(dir / (target_name + ".options"));
  shorten_input_timeout(configured, time_seconds);
  for (auto& flag : configured) argv.push_back(flag);
  if (fs::exists(dir / (target_name + ".dict"))) argv.push_back("-dict=" + (dir / (target_name + ".dict")).string());
  argv.push_back((work / "corpus").string());
  if (!seeds.empty()) argv.push_back(seeds.string());
  return argv;
}

// The run's copy of a build's seed corpus (empty when it has none): a seed that crashes the
// kernel is taken out of the copy before a restart, never out of the build folder.
fs::path copy_seeds(const fs::path& fuzzer_dir, const std::string& target_name, const fs::path& to) {
  const fs::path seeds = fuzzer_dir / (target_name + "_seed_corpus");
  if (!fs::is_directory(seeds)) return {};
  fs::create_directories(to);
  // recursive: with other options alone, fs::copy of a directory copies none of its files.
  fs::copy(seeds, to, fs::copy_options::overwrite_existing | fs::copy_options::recursive);
  return to;
}

int run_fuzz(const FuzzArgs& args) {
  kill_workers_on_stop_signals();  // Ctrl-C while collecting leaves no worker spinning (fuzzing: fuzz_process)
  // libFuzzer reads -max_total_time=0 as "no limit": under a second is refused, not rounded to 0.
  if (!std::isfinite(args.time_seconds) || args.time_seconds < 1)
    throw InputError("fuzz: --time must be a finite number of seconds >= 1");
  if (args.jobs < 1) throw InputError("fuzz: --jobs must be at least 1");
  std::vector<std::string> plugins;
  if (!args.plugin.empty()) plugins.push_back(args.plugin);
  const auto kernels = impls::all_kernels(plugins);
  const auto backward_kernels = impls::all_backward_kernels(plugins);
  FuzzKernel kernel;
  if (const impls::KernelInfo* info = impls::find_kernel(kernels, args.kernel)) {
    kernel = *info;
  } else if (const impls::BackwardKernelInfo* backward = impls::find_backward_kernel(backward_kernels, args.kernel)) {
    kernel = *backward;
  } else {
    throw InputError(unknown_kernel_message("fuzz: --kernel", args.kernel));
  }
  (void)load_budgets(args.budgets, kernels, backward_kernels);  // bad budgets fail now, not in the child

  const std::string target_name = fuzz_target_name(kernel);
  // The throughput build by default; one job of several, or every job with --sanitize,
  // runs the AddressSanitizer build, so that memory errors in kernels are still caught.
  const int asan_jobs = args.sanitize ? args.jobs : (args.jobs >= 2 ? 1 : 0);
  const int fast_jobs = args.jobs - asan_jobs;
  const std::string plugin = args.plugin.empty() ? "" : fs::absolute(args.plugin).string();
  const std::string budgets = args.budgets.empty() ? "" : fs::absolute(args.budgets).string();
  std::vector<FuzzProcessPlan> plans;
  if (fast_jobs > 0) {
    const fs::path dir = locate_fuzzer_dir({args.fuzzer_dir, FuzzBuild::throughput}, target_name);
    plans.push_back(
        {FuzzBuild::throughput, fast_jobs, FuzzTarget{dir / target_name, {}, kernel, plugin, budgets, false}, {}});
  }
  if (asan_jobs > 0) {
    const fs::path dir = locate_fuzzer_dir({args.asan_fuzzer_dir, FuzzBuild::sanitizers}, target_name);
    plans.push_back(
        {FuzzBuild::sanitizers, asan_jobs, FuzzTarget{dir / target_name, {}, kernel, plugin, budgets, true}, {}});
  }
  const fs::path fuzzer_dir = plans.front().target.binary.parent_path();

  // The evolving corpus persists across runs (overnight runs resume); artifacts are per run.
  const fs::path work = args.work_dir.empty() ? fuzzer_dir / "work" / args.kernel : fs::path(args.work_dir);
  const fs::path run_dir = work / ("run-" + std::to_string(std::time(nullptr)));
  const fs::path findings_dir = run_dir / "findings";
  const fs::path regressions = args.corpus.empty() ? fs::current_path() / "corpus" / "regressions" / args.kernel
                                                   : fs::path(args.corpus);
  // Folders are checked before the fuzzing starts, not when its findings are written.
  // The default corpus folder is created only when there is a finding to put in it.
  require_writable_directory("--work-dir", work);
  if (!args.corpus.empty()) require_writable_directory("--corpus", regressions);
  fs::create_directories(work / "corpus");
  fs::create_directories(findings_dir);

  std::vector<FuzzProcessSpec> processes;
  std::vector<std::size_t> plan_of_process;  // which build each job runs
  std::vector<FuzzTarget> targets;
  for (std::size_t p = 0; p < plans.size(); ++p) {
    FuzzProcessPlan& plan = plans[p];
    const bool fast = plan.build == FuzzBuild::throughput;
    const std::string build_suffix = fast ? "" : "-asan";
    plan.target.artifacts = run_dir / ("artifacts" + build_suffix);
    plan.log = run_dir / ("fuzz" + build_suffix + ".log");
    fs::create_directories(plan.target.artifacts);
    const fs::path seeds =
        copy_seeds(plan.target.binary.parent_path(), target_name, run_dir / ("seeds" + build_suffix));
    auto env = fuzz_target_env(plan.target);
    // Differential findings are recorded there and fuzzing goes on (not a crash).
    env["NORMCHECK_FINDING_DIR"] = findings_dir.string();
    for (int job = 1; job <= plan.jobs; ++job) {
      // fuzz.log, fuzz-2.log, ...; fuzz-asan.log, fuzz-asan-2.log, ...
      const fs::path log = job == 1 ? plan.log : run_dir / ("fuzz" + build_suffix + "-" + std::to_string(job) + ".log");
      std::vector<fs::path> corpus_dirs = {work / "corpus"};
      if (!seeds.empty()) corpus_dirs.push_back(seeds);
      processes.push_back({fuzzer_argv(plan, target_name, work, seeds, args.time_seconds), env, log,
                           std::move(corpus_dirs), run_dir / "quarantine", findings_dir});
      plan_of_process.push_back(p);
    }
    targets.push_back(plan.target);
  }
  const auto has_any_artifacts = [&] {
    return std::any_of(plans.begin(), plans.end(), [](const FuzzProcessPlan& p) { return has_artifacts(p.target.artifacts); });
  };
  std::string builds;
  for (const auto& plan : plans) {
    builds += (builds.empty() ? "" : " + ") + std::to_string(plan.jobs) +
              (plan.build == FuzzBuild::throughput ? " throughput" : " AddressSanitizer") + " job(s)";
  }

  const bool terminal = isatty(STDERR_FILENO) != 0;
  std::cerr << "normcheck fuzz: " << args.kernel << " with " << target_name << ", " << builds << ", "
            << args.time_seconds << " s; log " << plans.front().log.string() << "\n";
  const auto result = run_fuzzer_processes(
      processes, args.time_seconds, args.time_seconds + 60,
      [&](const FuzzStats& s, double elapsed) {
        if (!terminal) return;
        std::fprintf(stderr, "\r  %4.0fs/%.0fs  execs %s  %s/s  cov %lld  ft %lld  corpus %lld  crashes %lld   ", elapsed,
                     args.time_seconds, human_count(s.executions).c_str(), human_count(s.exec_per_second).c_str(),
                     static_cast<long long>(s.coverage), static_cast<long long>(s.features),
                     static_cast<long long>(s.corpus), static_cast<long long>(s.crashes));
        std::fflush(stderr);
      });
  if (terminal) std::fputc('\n', stderr);
  if (result.aborted) {
    // A second Ctrl-C means now: nothing is replayed or minimized. Dying of the signal,
    // as its default action would have, tells a calling shell or script it was stopped.
    std::cerr << "normcheck fuzz: stopped; findings not collected (findings and artifacts in " << run_dir.string()
              << ")\n";
    std::cout.flush();
    std::signal(result.abort_signal, SIG_DFL);
    std::raise(result.abort_signal);
    std::_Exit(128 + result.abort_signal);
  }
  // No input counted, yet artifacts or inputs left running: every job died on its inputs
  // (the seeds hang, or the kernel calls _exit()); those are the findings. Neither: the
  // target ran nothing.
  if (result.stats.executions == 0 && !result.interrupted && !has_any_artifacts() &&
      read_unfinished_inputs(findings_dir).empty()) {
    std::ifstream log(plans.front().log);
    std::stringstream text;
    text << log.rdbuf();
    std::cerr << text.str().substr(text.str().size() > 2000 ? text.str().size() - 2000 : 0);
    throw std::runtime_error("fuzz: " + target_name + " ran no input (exit status " +
                             std::to_string(result.exit_status) + "); see the log above");
  }

  std::cerr << "normcheck fuzz: collecting findings" << (result.interrupted ? " (interrupted; Ctrl-C again stops at once)" : "") << "...\n";
  const auto findings = collect_fuzz_findings(targets, findings_dir, run_dir, regressions);

  const auto& s = result.stats;
  std::cout << "normcheck fuzz summary: " << args.kernel << "\n"
            << "  executions " << s.executions << " in " << static_cast<long long>(result.seconds) << " s ("
            << (result.seconds > 0 ? static_cast<long long>(static_cast<double>(s.executions) / result.seconds) : 0)
            << " exec/s over " << args.jobs << " job(s))\n";
  if (plans.size() > 1) {
    // Each build's share: the sanitizer job runs several times slower per input.
    std::cout << "  builds    ";
    for (std::size_t i = 0; i < plans.size(); ++i) {
      std::int64_t executions = 0;
      for (std::size_t j = 0; j < processes.size(); ++j) {
        if (plan_of_process[j] == i) executions += result.per_process[j].executions;
      }
      std::cout << (i ? ", " : " ") << (plans[i].build == FuzzBuild::throughput ? "throughput " : "AddressSanitizer ")
                << plans[i].jobs << " job(s) "
                << (result.seconds > 0 ? static_cast<long long>(static_cast<double>(executions) / result.seconds) : 0)
                << " exec/s";
    }
    std::cout << "\n";
  }
  std::cout
            << "  coverage   " << s.coverage << " edges, " << s.features << " features, corpus " << s.corpus << " inputs\n"
            << "  crashes    " << s.crashes << " (timeouts " << s.timeouts << ", ooms " << s.ooms << "), "
            << findings.size() << " distinct finding(s)\n";
  const auto replay = [&](const fs::path& case_file) {
    return replay_command(ReplayLine{case_file, args.kernel, plugin, budgets, kDefaultCaseTimeout, {}, {}});
  };
  for (const auto& f : findings) {
    std::cout << "  finding " << f.signature << " (" << f.hits << " hit(s))\n";
    if (!f.detail.empty()) {
      std::cout << "    " << f.detail << "\n";
    } else if (!f.meaning.empty()) {
      std::cout << "    " << f.meaning << "\n";
    }
    if (!f.known_as.empty()) {
      std::cout << "    already in the corpus: " << f.known_as.string() << "\n"
                << "    replay: " << replay(f.known_as) << "\n";
      continue;
    }
    if (!f.reproduced_in_release) std::cout << "    note: " << f.unreproduced_note << "; case kept unminimized\n";
    if (!f.save_error.empty()) {
      std::cout << "    case: NOT saved (see below); artifact " << f.artifact.string() << "\n";
      continue;
    }
    std::cout << "    case: " << f.case_file.string() << (f.minimized ? " (minimized)" : "") << "\n"
              << "    replay: " << replay(f.case_file) << "\n";
  }
  // A case that could not be written is said after the summary, and is exit 2.
  std::cout.flush();
  bool failed_to_write = false;
  for (const auto& f : findings) {
    if (f.save_error.empty()) continue;
    std::cerr << "normcheck: case of " << f.signature << " not saved: " << f.save_error << "\n";
    failed_to_write = true;
  }
  if (failed_to_write) return 2;
  if (findings.empty() && s.executions > 0 && !any_input_checked(findings_dir)) {
    // As check's NO CASES: nothing was verified, so this is no pass.
    std::cout << "  no input checked: the kernel skipped every input (it answered UNSUPPORTED, or every case\n"
                 "  was outside its budget's max_abs_x); nothing was verified\n";
    return 1;
  }
  return findings.empty() ? 0 : 1;
}

}  // namespace

void add_fuzz_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<FuzzArgs>();
  CLI::App* command = app.add_subcommand(
      "fuzz",
      "Fuzz one kernel with its libFuzzer target (built on first use from the fuzz-fast and fuzz\n"
      "presets). Findings are minimized and written as regression cases.");
  command->add_option("--kernel", args->kernel, "kernel to fuzz (see `normcheck list`)")->required()->type_name("NAME");
  add_plugin_option(command, args->plugin);
  command->add_option("--time", args->time_seconds, "seconds to fuzz; 1 to 30 days (2592000)")
      ->required()
      ->type_name("SECONDS")
      ->check(finite_seconds(1));
  add_workers_option(command, "--jobs", args->jobs, "parallel libFuzzer jobs, one process each")->capture_default_str();
  add_path_option(command, "--corpus", args->corpus, "where minimized findings go (default: corpus/regressions/<kernel>)",
                  "DIR");
  add_budgets_option(command, args->budgets);
  command->add_flag("--sanitize", args->sanitize,
                    "run every job with the AddressSanitizer + UBSan build (default: one job of several)");
  add_path_option(command, "--fuzzer-dir", args->fuzzer_dir,
                  "folder of the throughput fuzz binaries (default: $NORMCHECK_FUZZER_DIR, else build/fuzz-fast/fuzz, "
                  "built on first use)",
                  "DIR");
  add_path_option(command, "--asan-fuzzer-dir", args->asan_fuzzer_dir,
                  "folder of the AddressSanitizer fuzz binaries (default: $NORMCHECK_ASAN_FUZZER_DIR, else "
                  "build/fuzz/fuzz, built on first use)",
                  "DIR");
  add_path_option(command, "--work-dir", args->work_dir,
                  "libFuzzer corpus, logs and artifacts (default: FUZZER_DIR/work/<kernel>)", "DIR");
  command->callback([args, &exit_code] { exit_code = run_fuzz(*args); });
}

}  // namespace normcheck::harness::cli
