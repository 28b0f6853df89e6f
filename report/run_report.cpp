// `normcheck report`: runs every kernel's tasks on all cores, assembles the model and
// picks the worst cases.
#include "report/run_report.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <memory>
#include <exception>
#include <fmt/format.h>
#include <mutex>
#include <thread>

#include "harness/input_error.hpp"
#include "harness/kernel_judge.hpp"
#include "harness/parallel_for.hpp"
#include "harness/replay_line.hpp"
#include "harness/sanitized_build.hpp"
#include "report/backward_section.hpp"
#include "report/environment.hpp"
#include "report/kernel_domain.hpp"
#include "report/progress.hpp"
#include "report/stats.hpp"
#include "report/tasks.hpp"
#include "report/worst_cases.hpp"
#include "impls/abi_names.hpp"
#include "impls/plugin_loader.hpp"

namespace normcheck::harness::report {

namespace {

using Clock = std::chrono::steady_clock;

// The kernels of a report: every non-mutant one of each pass, or those named, and the
// in-process ones (ReportOptions::in_process_kernels) in any case.
struct SelectedKernels {
  std::vector<impls::KernelInfo> forward;
  std::vector<impls::BackwardKernelInfo> backward;
};

template <class Info>
bool listed(const std::vector<Info>& kernels, const Info& kernel) {
  return std::any_of(kernels.begin(), kernels.end(), [&](const Info& k) { return k.kernel == kernel.kernel; });
}

// Appends the in-process kernels of one pass to that pass's list, refusing a name that some
// kernel of either pass has already.
template <class Info>
void add_in_process(const std::vector<Info>& in_process, std::vector<Info>& all,
                    const std::vector<impls::KernelInfo>& forward, const std::vector<impls::BackwardKernelInfo>& backward) {
  for (const auto& k : in_process) {
    const std::string name = k.kernel->name;
    if (impls::find_kernel(forward, name) != nullptr || impls::find_backward_kernel(backward, name) != nullptr)
      throw InputError(fmt::format("kernel \"{}\": a kernel of that name exists already (see `normcheck list`); "
                                   "give the Python kernel another name",
                                   name));
    all.push_back(k);
  }
}

// With no names: every non-mutant kernel, or only the in-process ones; with names, those
// named and the in-process ones in any case.
template <class Info>
void choose(const ReportOptions& options, const std::vector<Info>& all, const std::vector<Info>& in_process,
            std::vector<Info>& chosen) {
  if (options.kernels.empty()) {
    for (const auto& k : all)
      if (!k.mutant && (options.every_kernel_by_default || listed(in_process, k))) chosen.push_back(k);
    return;
  }
  for (const auto& k : in_process)
    if (!listed(chosen, k)) chosen.push_back(k);
}

SelectedKernels select_kernels(const ReportOptions& options) {
  std::vector<impls::KernelInfo> all = impls::all_kernels(options.plugins);
  std::vector<impls::BackwardKernelInfo> all_backward = impls::all_backward_kernels(options.plugins);
  add_in_process(options.in_process_kernels, all, all, all_backward);
  add_in_process(options.in_process_backward_kernels, all_backward, all, all_backward);
  SelectedKernels chosen;
  for (const auto& name : options.kernels) {
    if (const impls::KernelInfo* k = impls::find_kernel(all, name)) {
      chosen.forward.push_back(*k);
    } else if (const impls::BackwardKernelInfo* b = impls::find_backward_kernel(all_backward, name)) {
      chosen.backward.push_back(*b);
    } else {
      throw InputError(unknown_kernel_message("--kernel", name));
    }
  }
  choose(options, all, options.in_process_kernels, chosen.forward);
  choose(options, all_backward, options.in_process_backward_kernels, chosen.backward);
  return chosen;
}

KernelReport kernel_header(const impls::KernelInfo& k, const Budget& budget) {
  KernelReport r;
  r.name = k.kernel->name;
  r.op = impls::op_name(k.kernel->op);
  r.x_dtype = impls::dtype_name(k.kernel->x_dtype);
  r.param_dtype = impls::dtype_name(k.kernel->param_dtype);
  r.y_dtype = impls::dtype_name(k.kernel->y_dtype);
  r.compute = impls::dtype_name(k.compute);
  r.flags = impls::flags_description(k.kernel->flags);
  r.origin = impls::origin_label(k);
  r.mutant = k.mutant;
  r.bug_class = k.bug_class;
  r.budget = budget;
  r.sweeps = sweep_skeletons();
  r.ulp_histogram = empty_ulp_histogram();
  return r;
}

// What a kernel accumulates while its tasks finish, in any order.
struct KernelAccumulator {
  std::mutex mutex;
  std::size_t remaining = 0;
  std::vector<double> ulp_errors, scores;
  std::vector<WorstProblem> worst;
  std::vector<TaskResult> results;  // the task results without their error samples
  double seconds = 0;
};

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

void assemble(KernelReport& report, KernelAccumulator& acc) {
  // Tasks were planned in report order; sort back into it after the parallel run.
  std::sort(acc.results.begin(), acc.results.end(),
            [](const TaskResult& a, const TaskResult& b) { return a.order < b.order; });
  BiasAccumulator bias;
  std::int64_t bias_case = 0;
  for (TaskResult& result : acc.results) {
    for (const SignedErrorTally& tally : result.signed_errors) bias.add(tally, bias_case++);
    switch (result.kind) {
      case TaskResult::Kind::sweep_point:
        report.overall.merge(result.point.tally);
        report.sweeps[result.sweep].points.push_back(std::move(result.point));
        break;
      case TaskResult::Kind::eps_cell:
        report.overall.merge(result.cell.tally);
        report.eps_grid.push_back(std::move(result.cell));
        break;
      case TaskResult::Kind::edge_case:
        report.overall.merge(result.edge.tally);
        report.edge_cases.push_back(std::move(result.edge));
        break;
    }
  }
  report.bias = bias.figures();
  report.seconds = acc.seconds;
}

}  // namespace

bool runs_in_process(const ReportOptions& options, const impls::KernelInfo& kernel) {
  return listed(options.in_process_kernels, kernel);
}

bool runs_in_process(const ReportOptions& options, const impls::BackwardKernelInfo& kernel) {
  return listed(options.in_process_backward_kernels, kernel);
}

ReportModel run_report(const ReportOptions& options) {
  const auto started = Clock::now();
  const SelectedKernels selected = select_kernels(options);
  const std::vector<impls::KernelInfo>& kernels = selected.forward;
  const BudgetTable budgets = options.budgets_file ? BudgetTable::load(*options.budgets_file) : BudgetTable{};
  BackwardSection backward(selected.backward, budgets, options);
  std::vector<Budget> kernel_budgets;
  for (const auto& k : kernels) kernel_budgets.push_back(budgets.for_kernel(k));
  std::vector<std::unique_ptr<KernelJudge>> judges;
  for (std::size_t i = 0; i < kernels.size(); ++i) {
    const bool isolate = options.isolate && !runs_in_process(options, kernels[i]);
    judges.push_back(std::make_unique<KernelJudge>(kernels[i], kernel_budgets[i], options.case_timeout, isolate));
  }

  ReportModel model;
  model.generated_at = utc_now();
  model.command = options.command;
  model.seed = options.seed;
  model.quick = options.quick;
  model.threads = options.threads != 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  if (kSanitizedBuild && options.isolate) model.threads = 1;
  model.environment = current_environment();
  model.eps_values = eps_values();
  model.var_over_eps_values = var_over_eps_values();

  const SweepSizes sizes = options.quick ? quick_sizes() : default_sizes();
  std::vector<Task> tasks;
  std::vector<KernelAccumulator> accumulators(kernels.size());
  for (std::size_t i = 0; i < kernels.size(); ++i) {
    model.kernels.push_back(kernel_header(kernels[i], kernel_budgets[i]));
    for (auto plan : {plan_sweeps(i, *judges[i], sizes, options.seed), plan_eps_grid(i, *judges[i], sizes, options.seed),
                      plan_edge_cases(i, *judges[i], options.seed)}) {
      accumulators[i].remaining += plan.size();
      for (auto& task : plan) tasks.push_back(std::move(task));
    }
  }

  Progress progress(tasks.size() + kernels.size() + backward.task_count(), options.progress);
  parallel_for(tasks.size(), model.threads, [&](std::size_t t) {
    const auto task_started = Clock::now();
    TaskResult result = tasks[t].run();
    result.order = t;
    const double seconds = std::chrono::duration<double>(Clock::now() - task_started).count();
    KernelAccumulator& acc = accumulators[tasks[t].kernel];
    KernelReport& report = model.kernels[tasks[t].kernel];
    {
      std::lock_guard lock(acc.mutex);
      acc.seconds += seconds;
      add_to_histogram(report.ulp_histogram, result.ulp_errors);
      acc.ulp_errors.insert(acc.ulp_errors.end(), result.ulp_errors.begin(), result.ulp_errors.end());
      acc.scores.insert(acc.scores.end(), result.scores.begin(), result.scores.end());
      // Not `= {}`: that picks the initializer-list overload, which keeps the capacity.
      std::vector<double>().swap(result.ulp_errors);
      std::vector<double>().swap(result.scores);
      if (result.worst) keep_worst(acc.worst, std::move(*result.worst));
      result.worst.reset();
      acc.results.push_back(std::move(result));
      // The kernel's last task summarises its samples and frees them, so only the
      // kernels in flight hold error samples.
      if (--acc.remaining == 0) {
        judges[tasks[t].kernel]->release_idle();
        report.ulp = summarize(acc.ulp_errors);
        report.score = summarize(acc.scores);
        std::vector<double>().swap(acc.ulp_errors);
        std::vector<double>().swap(acc.scores);
      }
    }
    progress.step(tasks[t].label);
  });

  // Second pass, one task per kernel: reduce the worst cases (write_report saves them).
  const std::string replay_dir = options.out_dir.string();
  parallel_for(kernels.size(), model.threads, [&](std::size_t i) {
    const auto task_started = Clock::now();
    assemble(model.kernels[i], accumulators[i]);
    model.kernels[i].worst_cases =
        prepare_worst_cases(*judges[i], accumulators[i].worst, replay_dir,
                            options.budgets_file.value_or(std::filesystem::path()));
    measure_worst_case_domains(*judges[i], model.kernels[i]);
    judges[i]->release_idle();
    model.kernels[i].seconds += std::chrono::duration<double>(Clock::now() - task_started).count();
    progress.step(model.kernels[i].name + " worst cases");
  });
  model.backward_kernels = backward.run(model.threads, [&](const std::string& label) { progress.step(label); });
  progress.finish();
  model.wall_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return model;
}

}  // namespace normcheck::harness::report
