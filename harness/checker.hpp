// The checking engine behind `normcheck check`: for each kernel, generated cases are
// evaluated in an isolated worker; the first failure is minimized, saved as a case file
// and reported with the command that replays it. Over all of a kernel's cases, the
// rounding-bias test (harness/bias_statistics.hpp) may add a statistical finding.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/bias_statistics.hpp"
#include "harness/budget.hpp"
#include "harness/case.hpp"
#include "harness/isolation.hpp"
#include "harness/replay_line.hpp"
#include "harness/safe_domain.hpp"
#include "harness/violation.hpp"
#include "impls/registry.hpp"
#include "reference/backward_problem.hpp"
#include "reference/oracle.hpp"

namespace normcheck::harness {

struct GeneratedCase {
  ref::NormProblem problem;
  std::string regime;  // the generator's label for the mix ("" when none)
};

// Case `index` of the stream for (kernel, seed). Must be deterministic: the same
// arguments give the same case. The CLI plugs in the RapidCheck generators (properties/),
// which harness cannot depend on.
using CaseSource =
    std::function<GeneratedCase(const impls::KernelInfo& kernel, std::uint64_t seed, std::int64_t index)>;

// The same for backward kernels: problems of the kernel's op and dtypes, dy included.
struct GeneratedBackwardCase {
  ref::BackwardProblem problem;
  std::string regime;
};
using BackwardCaseSource = std::function<GeneratedBackwardCase(const impls::BackwardKernelInfo& kernel,
                                                               std::uint64_t seed, std::int64_t index)>;

// Called after every case and when a kernel starts or ends (for progress displays).
struct ProgressEvent {
  std::string kernel;
  std::size_t kernel_index = 0, kernel_count = 0;
  std::int64_t cases_done = 0, cases_planned = 0;  // planned is 0 under a time budget
  bool shrinking = false;
};

inline constexpr std::int64_t kDefaultCasesPerKernel = 1000;
// Distinct defects shrunk and reported per kernel before its check stops: each costs a
// shrink (up to max_shrink_evaluations evaluations), so this bounds the work on a kernel
// that is wrong in many ways.
inline constexpr int kDefaultMaxFindings = 8;

struct CheckOptions {
  std::uint64_t seed = 1;
  std::int64_t cases = kDefaultCasesPerKernel;  // per kernel
  // The run's wall-clock budget, split evenly over the kernels (each gets its share times
  // the kernels checked at once); replaces `cases`.
  std::optional<double> time_seconds;
  bool isolate = true;                          // fork a worker per kernel
  // Kernels checked at once, each with its own worker; 0: every hardware thread. Results
  // do not depend on it (each kernel's stream depends on the seed alone). In-process runs
  // (isolate false) and sanitizer builds use one (harness/sanitized_build.hpp).
  unsigned threads = 0;
  std::chrono::milliseconds case_timeout = kDefaultCaseTimeout;
  bool shrink = true;
  int max_shrink_evaluations = 3000;
  // After a finding the kernel's cases go on, within `cases` / the time budget, until
  // this many distinct defects (violation class and regime) are found. 1 stops at the first.
  int max_findings = kDefaultMaxFindings;
  // Where minimized cases are written (created); empty: a fresh private directory made
  // with mkdtemp under the temporary directory on the first finding.
  std::filesystem::path failures_dir;
  // false: no case file is written and each finding carries its case inline only (the
  // CLI's choice when the temporary directory is unusable and no --save-failures given).
  bool save_cases = true;
  std::filesystem::path budgets_file;  // the --budgets file, repeated in replay commands
  // The CLI flags that shape the case stream (--f64-eps), repeated in the check command that
  // reproduces a statistical (bias) finding.
  std::vector<std::string> case_source_flags;
  std::function<void(const ProgressEvent&)> progress;
};

// One finding, built once by the checker and read by every output (text, JUnit, JSON):
// the minimized case exactly as saved, the command that replays it and its class.
struct Finding {
  std::string kernel;
  ViolationClass klass = ViolationClass::score;
  std::string message;    // first violation of the minimized case (or crash detail, or bias figures)
  OutputLocation location;  // the output that message reports, in the minimized case
  // "<kernel>-<class>-<regime>" ("<kernel>-<class>" without a regime): one distinct
  // defect; later cases showing the same one only count in `hits`.
  std::string signature;
  std::string regime;
  std::string plugin;  // the plugin library the kernel came from; "" for built-ins
  std::int64_t case_index = 0;
  std::int64_t hits = 1;        // cases of the run that showed this defect
  double original_score = 0;    // the max score of the case that found it (orders findings)
  // A backward finding's are its forward problems (reference/backward_problem.hpp); its
  // dy is in saved_case.
  ref::NormProblem original;
  ref::NormProblem minimized;
  // The case file's content (minimized problem, kernel, expected verdict, note), whether
  // or not it could be written: outputs print it inline.
  Case saved_case;
  int shrink_evaluations = 0;
  double seconds_to_detect = 0;  // from the kernel's start to the failing case
  double seconds_to_shrink = 0;
  // A failure of range (a huge or tiny case that passes scaled towards 1): the boundary
  // of the kernel's safe domain, measured on the minimized case; nullopt otherwise.
  std::optional<SafeDomain> domain;
  // An overflow's boundary for a row of the original case's length, every value at the
  // minimized case's largest |x| (equal_magnitude_row); nullopt when not measured.
  std::optional<SafeDomain> equal_magnitude_domain;
  double seconds_to_measure_domain = 0;
  std::filesystem::path case_file;  // empty when the case was not saved
  // The shell command that replays case_file with the finding's plugin, budgets file and
  // case timeout; "" when the case was not saved. A bias finding has no case file: its
  // command is the check run that reproduces it (harness/bias_finding.hpp).
  std::string replay;
  // Why the case could not be saved ("PATH: cannot write: REASON"), "" when it was or
  // saving was off. The run goes on; the CLI reports it after the summary (exit 2).
  std::string save_error;
};

// A kernel's verdict in a check run; verdict_word() spells it in every output.
enum class KernelVerdict { pass, fail, no_cases };
// "pass", "fail", "no cases".
std::string_view verdict_word(KernelVerdict verdict);

struct KernelSummary {
  std::string kernel;
  std::int64_t cases = 0;    // evaluated (not skipped)
  std::int64_t skipped = 0;
  std::int64_t outputs = 0;  // outputs checked against the oracle
  double max_ulp_error = 0;
  double max_score = 0;
  std::int64_t max_ulp_distance = 0;
  std::int64_t special_mismatches = 0;
  double seconds = 0;
  int forks = 0;
  std::map<std::string, std::int64_t> regimes;  // cases per generator regime
  BiasFigures bias;  // the rounding-bias statistics over the cases checked
  std::vector<Finding> findings;  // distinct defects, worst first (worst_first)

  // The tightest measured bounds of the kernel's safe domain over its findings.
  DomainBounds domain() const {
    DomainBounds bounds;
    for (const auto& f : findings)
      for (const auto* d : {&f.domain, &f.equal_magnitude_domain})
        if (*d) bounds.add(**d);
    return bounds;
  }

  // A kernel passes only if cases were checked and none failed: a kernel for which every
  // case was skipped (UNSUPPORTED, out of its domain) or a time budget too small for a
  // single case has shown nothing, and must not pass silently (verdict "NO CASES").
  KernelVerdict verdict() const {
    if (!findings.empty()) return KernelVerdict::fail;
    return cases > 0 ? KernelVerdict::pass : KernelVerdict::no_cases;
  }
  bool passed() const { return verdict() == KernelVerdict::pass; }
  bool checked_nothing() const { return verdict() == KernelVerdict::no_cases; }
};

struct CheckReport {
  std::uint64_t seed = 0;
  std::vector<KernelSummary> kernels;
  double seconds = 0;
  unsigned threads = 1;  // kernels checked at once

  bool passed() const;
  std::int64_t total_outputs() const;
};

// How many kernels run_check checks at once for these options and this many kernels.
unsigned check_threads(const CheckOptions& options, std::size_t kernel_count);

// Runs every kernel, `check_threads` at a time; the report lists them in the given order.
// Progress events may then come from several threads (never two at once). Throws only for harness errors (I/O, fork); kernel crashes
// and hangs are findings.
CheckReport run_check(const std::vector<impls::KernelInfo>& kernels, const BudgetTable& budgets,
                      const CaseSource& source, const CheckOptions& options);

// The same for backward kernels: cases from the backward source, findings minimized with
// the backward shrinker and saved as backward case files. No bias test (the gradients'
// signed errors are not collected) and no safe-domain measurement.
CheckReport run_backward_check(const std::vector<impls::BackwardKernelInfo>& kernels, const BudgetTable& budgets,
                               const BackwardCaseSource& source, const CheckOptions& options);

// Both passes in one run: every kernel, `check_threads` at a time (the backward ones are
// started first, being the longest), the report listing the forward kernels, then the
// backward ones, each in the given order. Each kernel's cases, findings and summary are
// those of run_check or run_backward_check on it alone.
CheckReport run_checks(const std::vector<impls::KernelInfo>& forward, const std::vector<impls::BackwardKernelInfo>& backward,
                       const BudgetTable& budgets, const CaseSource& source, const BackwardCaseSource& backward_source,
                       const CheckOptions& options);

// The default kernel set of `check`: every kernel that is neither a mutant nor a
// third-party baseline (the oneDNN adapters); those run when named with --kernel.
std::vector<impls::KernelInfo> default_check_kernels(const std::vector<impls::KernelInfo>& all);
std::vector<impls::BackwardKernelInfo> default_check_kernels(const std::vector<impls::BackwardKernelInfo>& all);

// "" when the default place for saved cases (a mkdtemp directory under the temporary
// directory, $TMPDIR) can be made, else why not; the probe removes what it made.
std::string default_failures_directory_problem();


}  // namespace normcheck::harness
