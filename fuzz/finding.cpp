// Prints a differential finding and aborts with a dedupable signature (finding.hpp).
#include "fuzz/finding.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>

#include "harness/case.hpp"
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

void report_finding(const TargetConfig& config, const ref::NormProblem& problem, harness::ViolationClass klass,
                    const std::vector<harness::Violation>& violations) {
  const std::string kernel = config.kernel.kernel->name;
  const std::string signature = finding_signature(kernel, problem.op, klass);
  harness::Case finding;
  finding.problem = problem;
  finding.kernel = kernel;
  finding.expect = harness::expected_verdict(config.kernel);
  finding.note = signature;

  std::string case_path = "case.json";
  if (!config.finding_dir.empty()) {
    // Named by signature and content so repeated hits of one input overwrite one file.
    const std::string json = harness::case_to_json(finding);
    const auto path = std::filesystem::path(config.finding_dir) /
                      (signature + "-" + std::to_string(std::hash<std::string>{}(json) % 1000000007u) + ".json");
    std::error_code ignored;
    std::filesystem::create_directories(config.finding_dir, ignored);
    harness::write_case_file(path, finding);
    case_path = path.string();
  }
  std::fprintf(stderr, "\n==== normcheck finding: %s ====\ncase:\n%s\n", signature.c_str(),
               harness::case_to_json(finding).c_str());
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
  harness::ReplayLine line{case_path, kernel, config.plugin_path, {}, harness::kDefaultCaseTimeout,
                           normcheck != nullptr && *normcheck != '\0' ? normcheck : "normcheck"};
  const std::string replay = harness::replay_command(line);
  std::fprintf(stderr, "replay: %s%s\n%.*s%s\n", replay.c_str(),
               config.finding_dir.empty() ? "   (save the case above as case.json)" : "",
               static_cast<int>(kFindingPrefix.size()), kFindingPrefix.data(), signature.c_str());
  std::fflush(stderr);
  abort_for_class(klass);
}

}  // namespace normcheck::fuzz
