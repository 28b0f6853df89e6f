// Records a differential finding, or prints it and aborts with a dedupable signature (finding.hpp).
#include "fuzz/finding.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <exception>
#include <string>

#include "harness/case.hpp"
#include "harness/finding_store.hpp"
#include "harness/replay_line.hpp"

namespace normcheck::fuzz {
namespace {

// One never-inlined abort per violation class: the top frame names the class.
#define NORMCHECK_FINDING_ABORT(fn)              \
  [[noreturn, gnu::noinline]] void fn() {        \
    asm volatile("" ::: "memory");               \
    std::abort();                                \
  }
NORMCHECK_FINDING_ABORT(finding_score)
NORMCHECK_FINDING_ABORT(finding_ulp)
NORMCHECK_FINDING_ABORT(finding_special)
NORMCHECK_FINDING_ABORT(finding_constant_row)
NORMCHECK_FINDING_ABORT(finding_row_isolation)
NORMCHECK_FINDING_ABORT(finding_batch_invariance)
NORMCHECK_FINDING_ABORT(finding_residual_out)
NORMCHECK_FINDING_ABORT(finding_stats)
NORMCHECK_FINDING_ABORT(finding_status)
NORMCHECK_FINDING_ABORT(finding_memory)
NORMCHECK_FINDING_ABORT(finding_fp_state)
NORMCHECK_FINDING_ABORT(finding_crash)
NORMCHECK_FINDING_ABORT(finding_timeout)
NORMCHECK_FINDING_ABORT(finding_internal_error)
NORMCHECK_FINDING_ABORT(finding_other)
#undef NORMCHECK_FINDING_ABORT

[[noreturn]] void abort_for_class(harness::ViolationClass klass) {
  using harness::ViolationClass;
  switch (klass) {
    case ViolationClass::score: finding_score();
    case ViolationClass::ulp: finding_ulp();
    case ViolationClass::special: finding_special();
    case ViolationClass::constant_row: finding_constant_row();
    case ViolationClass::row_isolation: finding_row_isolation();
    case ViolationClass::batch_invariance: finding_batch_invariance();
    case ViolationClass::residual_out: finding_residual_out();
    case ViolationClass::stats: finding_stats();
    case ViolationClass::status: finding_status();
    case ViolationClass::memory: finding_memory();
    case ViolationClass::fp_state: finding_fp_state();
    case ViolationClass::bias:  // a statistic over many cases of check, never one input's
    case ViolationClass::metamorphic:
    case ViolationClass::oracle_relation: finding_other();  // property classes: the fuzzers do not check them
    case ViolationClass::internal_error: finding_internal_error();
    case ViolationClass::crash: finding_crash();
    case ViolationClass::timeout: finding_timeout();
  }
  finding_other();
}

}  // namespace

std::string finding_signature(std::string_view kernel, ref::Op op, harness::ViolationClass klass) {
  std::string signature(kernel);
  signature.append("-").append(ref::op_name(op)).append("-").append(harness::class_name(klass));
  return signature;
}

namespace {

// Prints what was found: the case (unless it is only on disk), up to ten violations, the
// replay command and the signature line that `normcheck fuzz` and ClusterFuzz look for.
void print_finding(const TargetConfig& config, const std::string& signature, const harness::Case& finding,
                   const std::string& case_path, const std::vector<harness::Violation>& violations,
                   std::string_view status) {
  std::fprintf(stderr, "\n==== normcheck finding: %s%.*s ====\n", signature.c_str(), static_cast<int>(status.size()),
               status.data());
  if (case_path.empty()) std::fprintf(stderr, "case:\n%s\n", harness::case_to_json(finding).c_str());
  std::size_t shown = 0;
  for (const auto& violation : violations) {
    if (++shown > 10) {
      std::fprintf(stderr, "  ... %zu more violations\n", violations.size() - 10);
      break;
    }
    std::fprintf(stderr, "  [%s] %s\n", std::string(harness::class_name(violation.klass)).c_str(), violation.message.c_str());
  }
  // The target is not normcheck: `normcheck fuzz` hands it its own path to print.
  const char* normcheck = std::getenv("NORMCHECK_EXECUTABLE");
  harness::ReplayLine line{case_path.empty() ? "case.json" : case_path, finding.kernel, config.plugin_path, {},
                           harness::kDefaultCaseTimeout,
                           normcheck != nullptr && *normcheck != '\0' ? normcheck : "normcheck", {}};
  const std::string replay = harness::replay_command(line);
  std::fprintf(stderr, "replay: %s%s\n%.*s%s\n", replay.c_str(),
               case_path.empty() ? "   (save the case above as case.json)" : "",
               static_cast<int>(kFindingPrefix.size()), kFindingPrefix.data(), signature.c_str());
  std::fflush(stderr);
}

// Every finding of this process, kept in NORMCHECK_FINDING_DIR. Made on first use and
// destroyed at exit, when it writes its hit counts a last time.
harness::FindingStore& finding_store(const TargetConfig& config) {
  static harness::FindingStore store(config.finding_dir);
  return store;
}

// Either pass's finding: `base_case` makes the case of the problem (kernel, expect and note
// are set here), called only when the case is printed or kept.
template <class BaseCase>
void report(const TargetConfig& config, ref::Op op, std::int64_t elements, const BaseCase& base_case,
            harness::ViolationClass klass, const std::vector<harness::Violation>& violations) {
  const std::string kernel = config.kernel_name();
  const std::string signature = finding_signature(kernel, op, klass);
  const auto make_case = [&] {
    harness::Case finding = base_case();
    finding.kernel = kernel;
    finding.expect = config.expected_verdict();
    finding.note = signature;
    return finding;
  };
  if (config.finding_dir.empty()) {
    // By hand or under ClusterFuzz: libFuzzer's crash path is how a finding is kept.
    print_finding(config, signature, make_case(), "", violations, "");
    abort_for_class(klass);
  }
  // Under `normcheck fuzz`: recorded, and the fuzzer goes on at full speed. Only the
  // first hit of a signature in this process is printed (to the job's log).
  try {
    const auto recorded = finding_store(config).record(signature, elements, make_case);
    if (recorded.first) {
      print_finding(config, signature, make_case(), recorded.file.string(), violations,
                    " (recorded; fuzzing goes on)");
    }
  } catch (const std::exception& error) {
    // A full disk loses this case, not the fuzzing run: the hit counts show the finding.
    static bool said = false;
    if (!said) std::fprintf(stderr, "normcheck fuzz target: cannot record %s: %s\n", signature.c_str(), error.what());
    said = true;
  }
}

}  // namespace

void report_finding(const TargetConfig& config, const ref::NormProblem& problem, harness::ViolationClass klass,
                    const std::vector<harness::Violation>& violations) {
  const auto base_case = [&] {
    harness::Case finding;
    finding.problem = problem;
    return finding;
  };
  report(config, problem.op, problem.value_count(), base_case, klass, violations);
}

void report_finding(const TargetConfig& config, const ref::BackwardProblem& problem, harness::ViolationClass klass,
                    const std::vector<harness::Violation>& violations) {
  const auto elements = static_cast<std::int64_t>(problem.x.size() + problem.dy.size() + problem.gamma.size());
  report(config, problem.op, elements, [&] { return harness::backward_case(problem); }, klass, violations);
}

}  // namespace normcheck::fuzz
