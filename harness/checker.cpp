// The checking engine: case loop per kernel, failure minimization and saving.
#include "harness/checker.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include <unistd.h>

#include "harness/atomic_file.hpp"
#include "harness/bias_finding.hpp"
#include "harness/case.hpp"
#include "harness/isolation.hpp"
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

  // Throws OutputError (the finding then records it and the run goes on).
  const std::filesystem::path& get() {
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
  std::filesystem::path dir_;
  bool ready_ = false;
};

Finding minimize_and_save(IsolatedEvaluator& evaluator, const impls::KernelInfo& kernel,
                          const GeneratedCase& generated, std::int64_t index, ViolationClass klass,
                          const std::string& first_message, const CheckOptions& options,
                          FailuresDirectory& failures) {
  Finding finding;
  finding.kernel = kernel.kernel->name;
  finding.klass = klass;
  finding.signature = fmt::format("{}-{}", finding.kernel, class_name(klass));
  finding.regime = generated.regime;
  finding.plugin = plugin_of(kernel);
  finding.case_index = index;
  finding.original = generated.problem;
  finding.minimized = generated.problem;

  const auto shrink_start = Clock::now();
  if (options.shrink) {
    ShrinkLimits limits;
    // Each hanging candidate costs a whole timeout: only a few tries for hangs. Each
    // crashing one costs a new worker (a fork, ~10 ms): a few hundred.
    limits.max_evaluations = klass == ViolationClass::timeout ? 6
                             : klass == ViolationClass::crash ? std::min(300, options.max_shrink_evaluations)
                                                              : options.max_shrink_evaluations;
    const StillFails still_fails = [&](const ref::NormProblem& candidate) {
      return evaluator.evaluate(candidate).has_class(klass);
    };
    const auto shrunk = minimize_problem(generated.problem, still_fails, limits);
    finding.minimized = shrunk.problem;
    finding.shrink_evaluations = shrunk.evaluations;
  }
  // The message describes the case we save, not the one we started from. A finding that
  // depends on the worker's history (memory a kernel leaked over many calls) may not
  // recur on the saved case alone: then the message is the one that was found.
  finding.message = evaluator.evaluate(finding.minimized).message_for(klass);
  if (finding.message.empty()) finding.message = first_message + " (when found; the saved case alone may not repeat it)";
  finding.seconds_to_shrink = seconds_since(shrink_start);

  finding.saved_case.problem = finding.minimized;
  finding.saved_case.kernel = finding.kernel;
  finding.saved_case.expect = expected_verdict(kernel);
  finding.saved_case.note = fmt::format("{}: {}", finding.signature, finding.message);
  if (!options.save_cases) return finding;
  // A case that cannot be saved (full disk) is still reported, inline, with the reason;
  // the kernels after this one are still checked.
  try {
    const std::filesystem::path file = failures.get() / fmt::format("{}-{}-s{}-c{}.json", finding.kernel,
                                                                     class_name(klass), options.seed, index);
    write_case_file(file, finding.saved_case);
    finding.case_file = file;
    finding.replay =
        replay_command(ReplayLine{file, finding.kernel, finding.plugin, options.budgets_file, options.case_timeout, {}});
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

KernelSummary check_kernel(const impls::KernelInfo& kernel, const Budget& budget, const CaseSource& source,
                           const CheckOptions& options, std::optional<double> seconds_for_kernel,
                           ProgressEvent progress, FailuresDirectory& failures) {
  KernelSummary summary;
  summary.kernel = kernel.kernel->name;
  IsolatedEvaluator evaluator(kernel, budget, EvaluateOptions{}, options.case_timeout, options.isolate);
  const auto start = Clock::now();
  progress.cases_planned = seconds_for_kernel ? 0 : options.cases;
  BiasAccumulator bias;
  std::int64_t index = 0;
  for (;; ++index) {
    if (seconds_for_kernel ? seconds_since(start) >= *seconds_for_kernel : index >= options.cases) break;
    const GeneratedCase generated = source(kernel, options.seed, index);
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
    if (const auto klass = outcome.first_class()) {
      const double detect = seconds_since(start);
      if (options.progress) {
        progress.cases_done = index + 1;
        progress.shrinking = true;
        options.progress(progress);
      }
      auto finding = minimize_and_save(evaluator, kernel, generated, index, *klass, outcome.message_for(*klass),
                                       options, failures);
      finding.seconds_to_detect = detect;
      summary.findings.push_back(std::move(finding));
      break;  // one minimized finding per kernel keeps the gate fast and the output short
    }
    if (options.progress) {
      progress.cases_done = index + 1;
      options.progress(progress);
    }
  }
  // The bias test judges the whole stream, once at its end (one look, so its stated
  // false-alarm rate holds). A kernel already failing on a case keeps that one finding.
  summary.bias = bias.figures();
  if (summary.findings.empty() && summary.bias.finding) {
    summary.findings.push_back(bias_finding(kernel, summary.bias, source, options, index));
    summary.findings.back().seconds_to_detect = seconds_since(start);
  }
  summary.seconds = seconds_since(start);
  summary.forks = evaluator.forks();
  return summary;
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

CheckReport run_check(const std::vector<impls::KernelInfo>& kernels, const BudgetTable& budgets,
                      const CaseSource& source, const CheckOptions& options) {
  CheckReport report;
  report.seed = options.seed;
  const auto start = Clock::now();
  FailuresDirectory failures(options.failures_dir);
  std::optional<double> per_kernel;
  if (options.time_seconds && !kernels.empty())
    per_kernel = *options.time_seconds / static_cast<double>(kernels.size());
  for (std::size_t i = 0; i < kernels.size(); ++i) {
    ProgressEvent progress;
    progress.kernel = kernels[i].kernel->name;
    progress.kernel_index = i;
    progress.kernel_count = kernels.size();
    report.kernels.push_back(
        check_kernel(kernels[i], budgets.for_kernel(kernels[i]), source, options, per_kernel, progress, failures));
  }
  report.seconds = seconds_since(start);
  return report;
}

std::vector<impls::KernelInfo> default_check_kernels(const std::vector<impls::KernelInfo>& all) {
  std::vector<impls::KernelInfo> selected;
  // Mutants carry seeded bugs and third-party adapters (oneDNN) are baselines with known,
  // documented findings (docs/checking.md): both run only when named with --kernel.
  std::copy_if(all.begin(), all.end(), std::back_inserter(selected),
               [](const impls::KernelInfo& k) { return !k.mutant && k.origin != impls::KernelOrigin::onednn; });
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
