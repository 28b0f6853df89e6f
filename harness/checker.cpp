// The checking engine: case loop per kernel, failure minimization and saving.
#include "harness/checker.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <utility>
#include <functional>
#include <mutex>
#include <thread>
#include <fmt/format.h>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include <unistd.h>

#include "harness/atomic_file.hpp"
#include "harness/backward_shrink.hpp"
#include "harness/bias_finding.hpp"
#include "harness/case.hpp"
#include "harness/finding_domain.hpp"
#include "harness/isolation.hpp"
#include "harness/parallel_for.hpp"
#include "harness/sanitized_build.hpp"
#include "harness/shrink.hpp"

namespace normcheck::harness {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The directory for saved cases, made on the first finding. The default is created by
// mkdtemp: a name nobody can predict, owned by us alone (a fixed /tmp name could be
// planted in advance by another user).
class FailuresDirectory {
 public:
  explicit FailuresDirectory(std::filesystem::path requested) : dir_(std::move(requested)) {}

  // Throws OutputError (the finding then records it and the run goes on). Kernels checked
  // at once share the directory.
  std::filesystem::path get() {
    std::lock_guard lock(mutex_);
    if (ready_) return dir_;
    if (dir_.empty()) {
      std::string pattern = failures_pattern();
      if (::mkdtemp(pattern.data()) == nullptr)
        throw OutputError(fmt::format("{}: cannot create the directory: {}", pattern, std::strerror(errno)));
      dir_ = pattern;
    } else {
      std::error_code error;
      std::filesystem::create_directories(dir_, error);
      if (error) throw OutputError(fmt::format("{}: cannot create the directory: {}", dir_.string(), error.message()));
    }
    ready_ = true;
    return dir_;
  }

  // The mkdtemp pattern under $TMPDIR; an unusable TMPDIR is an OutputError, not the
  // filesystem_error temp_directory_path() would throw.
  static std::string failures_pattern() {
    std::error_code error;
    const std::filesystem::path temp = std::filesystem::temp_directory_path(error);
    if (error) throw OutputError(fmt::format("the temporary directory ($TMPDIR): {}", error.message()));
    return (temp / "normcheck-failures-XXXXXX").string();
  }

 private:
  std::mutex mutex_;
  std::filesystem::path dir_;
  bool ready_ = false;
};

// How grave a class of defect is, gravest first: the kernel is unsafe to call; its
// outputs break an exact contract whatever the budget; its error is over budget.
int gravity(ViolationClass klass) {
  switch (klass) {
    case ViolationClass::crash:
    case ViolationClass::timeout:
    case ViolationClass::memory:
    case ViolationClass::fp_state:
    case ViolationClass::status:
    case ViolationClass::internal_error: return 0;
    case ViolationClass::special:
    case ViolationClass::constant_row:
    case ViolationClass::row_isolation:
    case ViolationClass::batch_invariance:
    case ViolationClass::residual_out:
    case ViolationClass::stats:
    case ViolationClass::metamorphic:
    case ViolationClass::oracle_relation: return 1;
    case ViolationClass::score:
    case ViolationClass::ulp:
    case ViolationClass::bias: return 2;
  }
  return 2;
}

// Worst first: by gravity, then by the score of the case that found it.
bool worst_first(const Finding& a, const Finding& b) {
  if (gravity(a.klass) != gravity(b.klass)) return gravity(a.klass) < gravity(b.klass);
  return a.original_score > b.original_score;
}

// What tells two defects of one class apart: the regime of the case that showed them,
// except for the classes that make the kernel unsafe to call (a crash is a crash
// whatever the values, and each costs a fork or a timeout to shrink).
std::string defect_regime(ViolationClass klass, const std::string& regime) {
  return gravity(klass) == 0 ? std::string() : regime;
}

// What the check loop needs of a pass beyond the evaluator: its problem and case types,
// how a failing problem shrinks and how a finding records it. Forward kernels also get the
// rounding-bias test and the safe-domain measurement.
template <typename Kernel>
struct Pass;

template <>
struct Pass<impls::KernelInfo> {
  using Problem = ref::NormProblem;
  using Source = CaseSource;
  static constexpr bool forward = true;

  static std::unique_ptr<IsolatedEvaluator> evaluator(const impls::KernelInfo& kernel, const Budget& budget,
                                                      const CheckOptions& options) {
    return std::make_unique<IsolatedEvaluator>(kernel, budget, EvaluateOptions{}, options.case_timeout,
                                               options.isolate);
  }
  template <typename Fails>
  static std::pair<Problem, int> shrink(const Problem& failing, const Fails& still_fails, const ShrinkLimits& limits) {
    const auto shrunk = minimize_problem(failing, still_fails, limits);
    return {shrunk.problem, shrunk.evaluations};
  }
  static void record(Finding& finding, const Problem& original, const Problem& minimized) {
    finding.original = original;
    finding.minimized = minimized;
    finding.saved_case = Case{};
    finding.saved_case.problem = minimized;
  }
};

template <>
struct Pass<impls::BackwardKernelInfo> {
  using Problem = ref::BackwardProblem;
  using Source = BackwardCaseSource;
  static constexpr bool forward = false;

  static std::unique_ptr<IsolatedEvaluator> evaluator(const impls::BackwardKernelInfo& kernel, const Budget& budget,
                                                      const CheckOptions& options) {
    return std::make_unique<IsolatedEvaluator>(kernel, budget, options.case_timeout, options.isolate);
  }
  template <typename Fails>
  static std::pair<Problem, int> shrink(const Problem& failing, const Fails& still_fails, const ShrinkLimits& limits) {
    const auto shrunk = minimize_backward_problem(failing, still_fails, limits);
    return {shrunk.problem, shrunk.evaluations};
  }
  static void record(Finding& finding, const Problem& original, const Problem& minimized) {
    finding.original = ref::forward_problem(original);
    finding.minimized = ref::forward_problem(minimized);
    finding.saved_case = backward_case(minimized);
  }
};

template <typename Kernel>
Finding minimize_and_save(IsolatedEvaluator& evaluator, const Kernel& kernel,
                          const typename Pass<Kernel>::Problem& failing, const std::string& case_regime,
                          std::int64_t index, ViolationClass klass, const std::string& first_message,
                          const CheckOptions& options, FailuresDirectory& failures) {
  using Problem = typename Pass<Kernel>::Problem;
  Finding finding;
  finding.kernel = kernel.kernel->name;
  finding.klass = klass;
  const std::string regime = defect_regime(klass, case_regime);
  finding.signature = regime.empty() ? fmt::format("{}-{}", finding.kernel, class_name(klass))
                                     : fmt::format("{}-{}-{}", finding.kernel, class_name(klass), regime);
  finding.regime = case_regime;
  finding.plugin = plugin_of(kernel);
  finding.case_index = index;
  Problem minimized = failing;

  const auto shrink_start = Clock::now();
  if (options.shrink) {
    ShrinkLimits limits;
    // Each hanging candidate costs a whole timeout: only a few tries for hangs. Each
    // crashing one costs a new worker (a fork, ~10 ms): a few hundred.
    limits.max_evaluations = klass == ViolationClass::timeout ? 6
                             : klass == ViolationClass::crash ? std::min(300, options.max_shrink_evaluations)
                                                              : options.max_shrink_evaluations;
    const auto still_fails = [&](const Problem& candidate) { return evaluator.evaluate(candidate).has_class(klass); };
    auto [shrunk, evaluations] = Pass<Kernel>::shrink(failing, still_fails, limits);
    minimized = std::move(shrunk);
    finding.shrink_evaluations = evaluations;
  }
  // The message describes the case we save, not the one we started from. A finding that
  // depends on the worker's history (memory a kernel leaked over many calls) may not
  // recur on the saved case alone: then the message is the one that was found.
  if (const auto violation = evaluator.evaluate(minimized).violation_for(klass)) {
    finding.message = violation->message;
    finding.location = violation->location;
  }
  if (finding.message.empty()) finding.message = first_message + " (when found; the saved case alone may not repeat it)";
  finding.seconds_to_shrink = seconds_since(shrink_start);

  Pass<Kernel>::record(finding, failing, minimized);
  finding.saved_case.kernel = finding.kernel;
  finding.saved_case.expect = expected_verdict(kernel);
  finding.saved_case.note = fmt::format("{}: {}", finding.signature, finding.message);
  if (!options.save_cases) return finding;
  // A case that cannot be saved (full disk) is still reported, inline, with the reason;
  // the kernels after this one are still checked.
  try {
    const std::filesystem::path file =
        failures.get() / fmt::format("{}-s{}-c{}.json", finding.signature, options.seed, index);
    write_case_file(file, finding.saved_case);
    finding.case_file = file;
    finding.replay =
        replay_command(ReplayLine{file, finding.kernel, finding.plugin, options.budgets_file, options.case_timeout, {}, {}});
  } catch (const OutputError& error) {
    finding.save_error = error.what();
  }
  return finding;
}

void accumulate(KernelSummary& summary, const CaseEvaluation& e) {
  ++summary.cases;
  summary.outputs += e.outputs_checked;
  summary.max_ulp_error = std::max(summary.max_ulp_error, e.max_ulp_error);
  summary.max_score = std::max(summary.max_score, e.max_score);
  summary.max_ulp_distance = std::max(summary.max_ulp_distance, e.max_ulp_distance);
  summary.special_mismatches += e.special_mismatches;
}

template <typename Kernel>
KernelSummary check_kernel(const Kernel& kernel, const Budget& budget, const typename Pass<Kernel>::Source& source,
                           const CheckOptions& options, std::optional<double> seconds_for_kernel,
                           ProgressEvent progress, FailuresDirectory& failures) {
  KernelSummary summary;
  summary.kernel = kernel.kernel->name;
  const auto evaluator_owner = Pass<Kernel>::evaluator(kernel, budget, options);
  IsolatedEvaluator& evaluator = *evaluator_owner;
  std::map<std::string, std::size_t> found;  // "<class>/<regime>" -> index in summary.findings
  const auto start = Clock::now();
  progress.cases_planned = seconds_for_kernel ? 0 : options.cases;
  BiasAccumulator bias;
  std::int64_t index = 0;
  for (;; ++index) {
    if (seconds_for_kernel ? seconds_since(start) >= *seconds_for_kernel : index >= options.cases) break;
    const auto generated = source(kernel, options.seed, index);
    const auto outcome = evaluator.evaluate(generated.problem);
    if (outcome.kind == IsolatedOutcome::Kind::evaluated) {
      if (outcome.evaluation.skipped) {
        ++summary.skipped;
        continue;
      }
      accumulate(summary, outcome.evaluation);
      bias.add(outcome.evaluation.signed_errors, index);
      ++summary.regimes[generated.regime];
    }
    // Every violation class of the case is a defect of its own; one already found (same
    // class, same regime) only counts as another hit.
    bool stop = false;
    for (const Violation& violation : outcome.violations()) {
      const std::string signature_key =
          fmt::format("{}/{}", class_name(violation.klass), defect_regime(violation.klass, generated.regime));
      if (const auto known = found.find(signature_key); known != found.end()) {
        ++summary.findings[known->second].hits;
        continue;
      }
      const double detect = seconds_since(start);
      if (options.progress) {
        progress.cases_done = index + 1;
        progress.shrinking = true;
        options.progress(progress);
        progress.shrinking = false;
      }
      auto finding = minimize_and_save(evaluator, kernel, generated.problem, generated.regime, index, violation.klass,
                                       violation.message, options, failures);
      finding.seconds_to_detect = detect;
      // Not for the classes that make a kernel unsafe to call (each run may cost a fork or
      // a timeout); a failure of range carries the boundary (harness/finding_domain.hpp).
      if constexpr (Pass<Kernel>::forward) {
        if (gravity(finding.klass) != 0) measure_finding_domain(evaluator, budget, finding);
      }
      finding.original_score = outcome.kind == IsolatedOutcome::Kind::evaluated ? outcome.evaluation.max_score : 0;
      found.emplace(signature_key, summary.findings.size());
      summary.findings.push_back(std::move(finding));
      // A hang costs a whole timeout per case: one is enough to stop the kernel.
      stop = violation.klass == ViolationClass::timeout ||
             static_cast<int>(summary.findings.size()) >= std::max(1, options.max_findings);
      if (stop) break;
    }
    if (stop) break;
    if (options.progress) {
      progress.cases_done = index + 1;
      options.progress(progress);
    }
  }
  // The bias test judges the whole stream, once at its end (one look, so its stated
  // false-alarm rate holds). It is a defect of its own, within --max-findings, unless the
  // budget opts out (bias = false).
  summary.bias = bias.figures();
  if constexpr (Pass<Kernel>::forward) {
    if (budget.bias_test && summary.bias.finding &&
        static_cast<int>(summary.findings.size()) < std::max(1, options.max_findings)) {
      summary.findings.push_back(bias_finding(kernel, summary.bias, source, options, index));
      summary.findings.back().seconds_to_detect = seconds_since(start);
    }
  }
  std::stable_sort(summary.findings.begin(), summary.findings.end(), worst_first);
  summary.seconds = seconds_since(start);
  summary.forks = evaluator.forks();
  return summary;
}

// One kernel of a run, of either pass: its place in the report, its name, and how to check it.
struct KernelSlot {
  std::size_t report_index;
  std::string name;
  // Checks the kernel with these options, its time share and progress start.
  std::function<KernelSummary(const CheckOptions&, std::optional<double>, ProgressEvent, FailuresDirectory&)> check;
};

template <typename Kernel>
void add_slots(std::vector<KernelSlot>& slots, std::size_t first_index, const std::vector<Kernel>& kernels,
               const BudgetTable& budgets, const typename Pass<Kernel>::Source& source) {
  for (std::size_t i = 0; i < kernels.size(); ++i) {
    const Kernel& kernel = kernels[i];
    slots.push_back({first_index + i, kernel.kernel->name,
                     [&kernel, &budgets, &source](const CheckOptions& options, std::optional<double> per_kernel,
                                                  ProgressEvent progress, FailuresDirectory& failures) {
                       return check_kernel(kernel, budgets.for_kernel(kernel), source, options, per_kernel, progress,
                                           failures);
                     }});
  }
}

// Every slot, `check_threads` at a time, each kernel with its own worker, handed out in
// the slots' order; the report has one entry per slot, at its report_index.
CheckReport check_slots(const std::vector<KernelSlot>& slots, const CheckOptions& options) {
  CheckReport report;
  report.seed = options.seed;
  const auto start = Clock::now();
  FailuresDirectory failures(options.failures_dir);
  const unsigned threads = check_threads(options, slots.size());
  report.threads = threads;
  std::optional<double> per_kernel;
  if (options.time_seconds && !slots.empty())
    per_kernel = *options.time_seconds * threads / static_cast<double>(slots.size());
  // Events from the kernels in flight reach the caller one at a time.
  std::mutex progress_mutex;
  CheckOptions kernel_options = options;
  if (options.progress && threads > 1) {
    kernel_options.progress = [&progress_mutex, &options](const ProgressEvent& event) {
      std::lock_guard lock(progress_mutex);
      options.progress(event);
    };
  }
  report.kernels.resize(slots.size());
  parallel_for(slots.size(), threads, [&](std::size_t i) {
    const KernelSlot& slot = slots[i];
    ProgressEvent progress;
    progress.kernel = slot.name;
    progress.kernel_index = slot.report_index;
    progress.kernel_count = slots.size();
    report.kernels[slot.report_index] = slot.check(kernel_options, per_kernel, progress, failures);
  });
  report.seconds = seconds_since(start);
  return report;
}

template <typename Kernel>
CheckReport check_kernels(const std::vector<Kernel>& kernels, const BudgetTable& budgets,
                          const typename Pass<Kernel>::Source& source, const CheckOptions& options) {
  std::vector<KernelSlot> slots;
  add_slots(slots, 0, kernels, budgets, source);
  return check_slots(slots, options);
}

}  // namespace

bool CheckReport::passed() const {
  return std::all_of(kernels.begin(), kernels.end(), [](const KernelSummary& k) { return k.passed(); });
}

std::int64_t CheckReport::total_outputs() const {
  std::int64_t total = 0;
  for (const auto& k : kernels) total += k.outputs;
  return total;
}

unsigned check_threads(const CheckOptions& options, std::size_t kernel_count) {
  // In-process kernels share this process (a plugin's kernels may share state), and a
  // sanitizer build must not fork from several threads: one at a time.
  if (!options.isolate || kSanitizedBuild) return 1;
  const unsigned wanted = options.threads != 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  return static_cast<unsigned>(std::clamp<std::size_t>(kernel_count, 1, wanted));
}

CheckReport run_check(const std::vector<impls::KernelInfo>& kernels, const BudgetTable& budgets,
                      const CaseSource& source, const CheckOptions& options) {
  return check_kernels(kernels, budgets, source, options);
}

CheckReport run_backward_check(const std::vector<impls::BackwardKernelInfo>& kernels, const BudgetTable& budgets,
                               const BackwardCaseSource& source, const CheckOptions& options) {
  return check_kernels(kernels, budgets, source, options);
}

CheckReport run_checks(const std::vector<impls::KernelInfo>& forward, const std::vector<impls::BackwardKernelInfo>& backward,
                       const BudgetTable& budgets, const CaseSource& source, const BackwardCaseSource& backward_source,
                       const CheckOptions& options) {
  // A backward kernel takes several times as long as a forward one (two oracles, and every
  // dx output depends on its whole row): handed out first, the longest jobs start at once
  // and the short forward ones fill the threads around them, instead of one thread idling
  // while the last long kernel of a pass finishes.
  std::vector<KernelSlot> slots;
  add_slots(slots, forward.size(), backward, budgets, backward_source);
  add_slots(slots, 0, forward, budgets, source);
  return check_slots(slots, options);
}

std::vector<impls::KernelInfo> default_check_kernels(const std::vector<impls::KernelInfo>& all) {
  std::vector<impls::KernelInfo> selected;
  // Mutants carry seeded bugs and third-party adapters (oneDNN) are baselines with known,
  // documented findings (docs/checking.md): both run only when named with --kernel.
  std::copy_if(all.begin(), all.end(), std::back_inserter(selected),
               [](const impls::KernelInfo& k) { return !k.mutant && k.origin != impls::KernelOrigin::onednn; });
  return selected;
}

std::vector<impls::BackwardKernelInfo> default_check_kernels(const std::vector<impls::BackwardKernelInfo>& all) {
  std::vector<impls::BackwardKernelInfo> selected;
  std::copy_if(all.begin(), all.end(), std::back_inserter(selected),
               [](const impls::BackwardKernelInfo& k) { return !k.mutant && k.origin != impls::KernelOrigin::onednn; });
  return selected;
}

std::string default_failures_directory_problem() {
  try {
    std::string pattern = FailuresDirectory::failures_pattern();
    if (::mkdtemp(pattern.data()) == nullptr) return fmt::format("{}: {}", pattern, std::strerror(errno));
    ::rmdir(pattern.c_str());
    return "";
  } catch (const OutputError& error) {
    return error.what();
  }
}

std::string_view verdict_word(KernelVerdict verdict) {
  switch (verdict) {
    case KernelVerdict::pass: return "pass";
    case KernelVerdict::fail: return "fail";
    case KernelVerdict::no_cases: return "no cases";
  }
  return "fail";
}

}  // namespace normcheck::harness
