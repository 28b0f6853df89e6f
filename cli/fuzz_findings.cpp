// From libFuzzer crash artifacts to deduplicated, minimized regression cases (fuzz_findings.hpp).
#include "cli/fuzz_findings.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <variant>
#include <system_error>

#include <fmt/format.h>

#include "harness/atomic_file.hpp"
#include "harness/backward_shrink.hpp"
#include "harness/case.hpp"
#include "harness/finding_store.hpp"
#include "harness/input_trace.hpp"
#include "cli/fuzz_process.hpp"
#include "cli/fuzz_restart.hpp"
#include "harness/isolation.hpp"
#include "harness/replay_line.hpp"
#include "harness/shrink.hpp"
#include "harness/violation.hpp"
#include "impls/abi_names.hpp"

namespace normcheck::harness::cli {
namespace {

namespace fs = std::filesystem;

std::string op_label(const FuzzKernel& kernel) {
  return std::visit([](const auto& info) { return std::string(impls::op_name(info.kernel->op)); }, kernel);
}

// libFuzzer names artifacts by what happened: crash-, timeout-, oom-, leak-, slow-unit-.
bool is_artifact(const fs::path& path) {
  const std::string name = path.filename().string();
  for (const char* prefix : {"crash-", "timeout-", "oom-", "leak-"}) {
    if (name.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

// What only the fuzz build reports, for people: the release build does not see it on the
// one case, so there is no harness message to show.
constexpr std::string_view kLeakMeaning = "LeakSanitizer: the kernel allocates memory it never frees";
constexpr std::string_view kOomMeaning =
    "the fuzzer outgrew libFuzzer's -rss_limit_mb: the kernel leaks or hoards memory";
constexpr std::string_view kTimeoutMeaning =
    "an input ran past libFuzzer's -timeout: the kernel hangs (or is very slow) on it";

struct ArtifactClass {
  ViolationClass klass = ViolationClass::crash;
  std::string_view meaning;  // "" when the target's own finding line or a crash says it
};

// The class a replay of the artifact reports: the target's own finding line, or what
// the sanitizer / libFuzzer saw. Running out of memory and a leak LeakSanitizer saw are
// both the memory class, as the memory limit of an isolated worker is.
ArtifactClass reproduce_class(const FuzzTarget& target, const fs::path& artifact) {
  const std::string name = artifact.filename().string();
  // It hung under libFuzzer: a replay would only wait out the timeout again (10 s each).
  if (name.rfind("timeout-", 0) == 0) return {ViolationClass::timeout, kTimeoutMeaning};
  const auto run = run_captured({target.binary.string(), "-timeout=10", "-rss_limit_mb=4096", artifact.string()},
                                fuzz_target_env(target));
  const std::string marker = "normcheck-finding: ";
  const auto at = run.output.rfind(marker);
  if (at != std::string::npos) {
    const std::string signature = run.output.substr(at + marker.size(), run.output.find('\n', at) - at - marker.size());
    // The signature is <kernel>-<op>-<class>; the class follows the op.
    const std::string stem = kernel_name(target.kernel) + "-" + op_label(target.kernel) + "-";
    if (signature.rfind(stem, 0) != 0) return {};
    return {parse_violation_class(signature.substr(stem.size())).value_or(ViolationClass::crash), {}};
  }
  if (run.output.find("libFuzzer: timeout") != std::string::npos) return {ViolationClass::timeout, kTimeoutMeaning};
  if (name.rfind("oom-", 0) == 0 || run.output.find("out-of-memory") != std::string::npos)
    return {ViolationClass::memory, kOomMeaning};
  if (name.rfind("leak-", 0) == 0) return {ViolationClass::memory, kLeakMeaning};
  return {};
}

// The finding's case as the fuzz binary decodes it: one layout, one decoder.
Case decode_artifact(const FuzzTarget& target, const fs::path& artifact, const fs::path& out) {
  auto env = fuzz_target_env(target);
  env["NORMCHECK_FUZZ_DECODE_TO"] = out.string();
  const auto run = run_captured({target.binary.string(), artifact.string()}, env);
  if (run.exit_status != 0 || !fs::exists(out)) {
    throw std::runtime_error("cannot decode " + artifact.string() + ": " + run.output.substr(0, 400));
  }
  return read_case_file(out);
}

Budget default_budget_of(const impls::KernelInfo& kernel) { return default_budget(kernel); }
Budget default_budget_of(const impls::BackwardKernelInfo& kernel) { return default_backward_budget(kernel); }

Budget budget_for(const FuzzTarget& target) {
  return std::visit(
      [&](const auto& kernel) {
        return target.budgets.empty() ? default_budget_of(kernel)
                                      : BudgetTable::load(target.budgets).for_kernel(kernel);
      },
      target.kernel);
}

// The kernel's isolated worker, for either pass (the minimizer's and the replays' judge).
std::unique_ptr<IsolatedEvaluator> evaluator_for(const FuzzTarget& target, std::chrono::milliseconds timeout) {
  const Budget budget = budget_for(target);
  if (const auto* backward = std::get_if<impls::BackwardKernelInfo>(&target.kernel))
    return std::make_unique<IsolatedEvaluator>(*backward, budget, timeout);
  return std::make_unique<IsolatedEvaluator>(std::get<impls::KernelInfo>(target.kernel), budget, EvaluateOptions{},
                                             timeout);
}

// A case of the run (the store's, or an artifact decoded by its target) on its pass's judge.
IsolatedOutcome evaluate_found(IsolatedEvaluator& evaluator, const Case& found) {
  return found.direction == Direction::backward ? evaluator.evaluate(backward_problem(found))
                                                : evaluator.evaluate(found.problem);
}

// The case minimized by its pass's shrinker, keeping the class: a backward case's dy shrinks
// with its x (harness/backward_shrink.hpp). Kernel, expect and note are the caller's.
Case minimized(IsolatedEvaluator& evaluator, const Case& found, ViolationClass klass, bool& changed) {
  const auto still_fails = [&](const auto& candidate) { return evaluator.evaluate(candidate).has_class(klass); };
  if (found.direction == Direction::backward) {
    const auto shrunk = minimize_backward_problem(backward_problem(found), still_fails);
    changed = shrunk.accepted > 0;
    return backward_case(shrunk.problem);
  }
  const auto shrunk = minimize_problem(found.problem, still_fails);
  changed = shrunk.accepted > 0;
  Case smaller;
  smaller.problem = shrunk.problem;
  return smaller;
}

// An existing case in the corpus that records this signature in its note.
fs::path known_case(const fs::path& dir, const std::string& signature) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return {};
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".json") continue;
    try {
      if (read_case_file(entry.path()).note == signature) return entry.path();
    } catch (const std::exception&) {
      // A malformed neighbour is ctest's business, not a reason to lose this finding.
    }
  }
  return {};
}

// A fuzz case is at most 4096 bytes: milliseconds on a correct kernel. Minimizing a hang
// waits this out on every candidate that still hangs, so it is shorter than check's 10 s
// (the replay line keeps the default: the case hangs there too).
constexpr std::chrono::milliseconds kMinimizeCaseTimeout{2'000};

void minimize_and_write(const FuzzTarget& target, FuzzFinding& finding, Case found, bool from_sanitizer_build,
                        const fs::path& regressions_dir) {
  const auto evaluator_owner = evaluator_for(target, kMinimizeCaseTimeout);
  IsolatedEvaluator& evaluator = *evaluator_owner;
  const auto first = evaluate_found(evaluator, found);
  finding.reproduced_in_release = first.has_class(finding.klass);
  if (!finding.reproduced_in_release) {
    // What the case does alone (a timeout, say) is not this finding: say what it means.
    finding.unreproduced_note = finding.klass == ViolationClass::memory
                                    ? "memory grows over many inputs: this one input alone does not reproduce it"
                                    : from_sanitizer_build ? "only the fuzz build (sanitizers) sees it"
                                                           : "this case alone does not reproduce it (state kept between inputs?)";
  }
  if (finding.reproduced_in_release) {
    found = minimized(evaluator, found, finding.klass, finding.minimized);
    finding.detail = evaluate_found(evaluator, found).message_for(finding.klass);
  }
  found.kernel = kernel_name(target.kernel);
  // A mutant must keep failing; a real kernel must pass once the bug is fixed.
  found.expect = std::visit([](const auto& kernel) { return expected_verdict(kernel); }, target.kernel);
  found.note = finding.signature;
  const std::string json = case_to_json(found);
  char hash[16];
  std::snprintf(hash, sizeof hash, "%08zx", std::hash<std::string>{}(json) & 0xFFFF'FFFFu);
  // A full disk loses this case, not the run's other findings or its summary.
  // <op>[-backward]-<class>-<hash>.json: which pass the case is of shows in its name.
  const std::string pass = std::holds_alternative<impls::BackwardKernelInfo>(target.kernel) ? "-backward" : "";
  const fs::path file = regressions_dir / (op_label(target.kernel) + pass + "-" +
                                           std::string(class_name(finding.klass)) + "-" + hash + ".json");
  std::error_code error;
  fs::create_directories(regressions_dir, error);
  if (error) {
    finding.save_error = fmt::format("{}: cannot create the directory: {}", regressions_dir.string(), error.message());
    return;
  }
  try {
    write_case_file(file, found);
    finding.case_file = file;
  } catch (const OutputError& failure) {
    finding.save_error = failure.what();
  }
}

}  // namespace

std::string kernel_name(const FuzzKernel& kernel) {
  return std::visit([](const auto& info) { return std::string(info.kernel->name); }, kernel);
}

std::string fuzz_target_name(const FuzzKernel& kernel) {
  if (std::holds_alternative<impls::BackwardKernelInfo>(kernel)) return "backward_fuzzer";
  return std::get<impls::KernelInfo>(kernel).kernel->op == NORMCHECK_LAYERNORM ? "layernorm_fuzzer" : "rmsnorm_fuzzer";
}

std::map<std::string, std::string> fuzz_target_env(const FuzzTarget& target) {
  std::map<std::string, std::string> env{{"NORMCHECK_KERNEL", kernel_name(target.kernel)}};
  if (!target.plugin.empty()) env["NORMCHECK_PLUGIN"] = target.plugin;
  env["NORMCHECK_EXECUTABLE"] = executable_path();  // for the replay line the target prints
  if (!target.budgets.empty()) env["NORMCHECK_BUDGETS"] = target.budgets;
  // Undefined behaviour in a kernel is a finding, not a warning in a log.
  if (!std::getenv("UBSAN_OPTIONS")) env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1";
  return env;
}

namespace {

// The crash artifacts of one build, smallest first (the representative of a signature
// is its smallest input). An empty artifact is no input: libFuzzer writes one when a job
// fails outside any input (LeakSanitizer at exit after a leaking kernel); the leak-
// artifacts hold those.
std::vector<fs::path> artifacts_of(const FuzzTarget& target) {
  std::error_code ec;
  std::vector<fs::path> artifacts;
  for (const auto& entry : fs::directory_iterator(target.artifacts, ec)) {
    if (entry.is_regular_file() && is_artifact(entry.path()) && entry.file_size(ec) > 0) {
      artifacts.push_back(entry.path());
    }
  }
  std::sort(artifacts.begin(), artifacts.end(),
            [](const fs::path& a, const fs::path& b) { return fs::file_size(a) < fs::file_size(b); });
  return artifacts;
}

struct Pending {
  FuzzFinding finding;
  const FuzzTarget* target = nullptr;  // the build whose artifact it is; nullptr: from the store
};

std::set<std::string> artifact_contents(const std::vector<FuzzTarget>& targets) {
  std::set<std::string> contents;
  for (const FuzzTarget& target : targets) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(target.artifacts, ec)) {
      if (!entry.is_regular_file() || !is_artifact(entry.path())) continue;
      if (auto bytes = read_file_bytes(entry.path())) contents.insert(std::move(*bytes));
    }
  }
  return contents;
}

// Inputs a job was running when it ended with no report at all: a kernel that calls
// _exit() (libFuzzer runs no handler and writes no artifact) or a job killed from outside.
// Each is replayed in an isolated worker, where ending the process is a crash; one that
// passes there (a job stopped at the end of the run) is no finding. Inputs libFuzzer kept
// as artifacts are already counted, and a few suffice: every such job dies the same way.
void add_vanished_inputs(const std::vector<FuzzTarget>& targets, const fs::path& findings_dir, const std::string& stem,
                         const fs::path& decoded_dir, std::map<std::string, Pending>& by_signature) {
  constexpr std::size_t kMaxVanishedReplays = 8;
  // Most runs leave none: then no artifact is read and no budget loaded.
  const std::vector<std::string> unfinished = read_unfinished_inputs(findings_dir);
  if (unfinished.empty()) return;
  const std::set<std::string> known = artifact_contents(targets);
  const FuzzTarget& first = targets.front();
  const auto evaluator = evaluator_for(first, kMinimizeCaseTimeout);
  std::size_t replayed = 0;
  for (const std::string& input : unfinished) {
    if (known.count(input) != 0) continue;
    if (replayed++ == kMaxVanishedReplays) break;
    const std::string name = fmt::format("vanished-{:08x}", std::hash<std::string>{}(input) & 0xFFFF'FFFFu);
    const fs::path raw = decoded_dir / name;
    {
      std::ofstream out(raw, std::ios::binary);
      out << input;
    }
    const fs::path case_file = decoded_dir / (name + ".json");
    Case decoded;
    try {
      decoded = decode_artifact(first, raw, case_file);
    } catch (const std::exception&) {
      continue;  // not an input of this layout (cannot happen for a traced input)
    }
    IsolatedOutcome outcome;
    try {
      outcome = evaluate_found(*evaluator, decoded);
    } catch (const std::runtime_error& error) {
      // A harness error on one replay must not lose the run's other findings.
      std::fprintf(stderr, "normcheck fuzz: replaying an input a job left running: %s\n", error.what());
      continue;
    }
    const auto klass = outcome.first_class();
    // A job that really hung left libFuzzer's timeout artifact; an input that is only slow
    // here belongs to a job stopped from outside (the end of the run, a memory limit).
    if (!klass || *klass == ViolationClass::timeout) continue;
    Pending& pending = by_signature[stem + std::string(class_name(*klass))];
    pending.finding.hits++;
    if (!pending.finding.signature.empty()) continue;
    pending.finding.signature = stem + std::string(class_name(*klass));
    pending.finding.klass = *klass;
    pending.finding.artifact = case_file;  // a case file: read as the store's are
  }
}

}  // namespace

std::vector<FuzzFinding> collect_fuzz_findings(const std::vector<FuzzTarget>& targets, const fs::path& findings_dir,
                                               const fs::path& work_dir, const fs::path& regressions_dir) {
  const FuzzTarget& first = targets.front();
  const std::string stem = kernel_name(first.kernel) + "-" + op_label(first.kernel) + "-";
  std::map<std::string, Pending> by_signature;
  // Differential findings: recorded by the targets, the smallest case of each signature kept.
  for (const auto& stored : read_finding_store(findings_dir)) {
    if (stored.signature.rfind(stem, 0) != 0) continue;  // not this kernel's: not this run's
    Pending& pending = by_signature[stored.signature];
    pending.finding.signature = stored.signature;
    pending.finding.klass =
        parse_violation_class(stored.signature.substr(stem.size())).value_or(ViolationClass::internal_error);
    pending.finding.hits += std::max<std::int64_t>(stored.hits, 1);
    pending.finding.artifact = stored.case_file;
  }
  // Crashes, hangs and sanitizer reports: libFuzzer's artifacts. An easy bug crashes every
  // restart of a job within moments: hundreds of artifacts of one signature. Replaying the
  // smallest ones bounds the collection time.
  constexpr std::size_t kMaxReplays = 100;
  for (const FuzzTarget& target : targets) {
    std::vector<fs::path> artifacts = artifacts_of(target);
    if (artifacts.size() > kMaxReplays) {
      std::fprintf(stderr, "normcheck fuzz: replaying the %zu smallest of %zu artifacts\n", kMaxReplays,
                   artifacts.size());
      artifacts.resize(kMaxReplays);
    }
    for (const auto& artifact : artifacts) {
      const auto [klass, meaning] = reproduce_class(target, artifact);
      const std::string signature = stem + std::string(class_name(klass));
      auto [it, inserted] = by_signature.try_emplace(signature);
      it->second.finding.hits++;
      if (!inserted) continue;
      it->second.finding.signature = signature;
      it->second.finding.klass = klass;
      it->second.finding.meaning = meaning;
      it->second.finding.artifact = artifact;
      it->second.target = &target;
    }
  }
  const fs::path decoded_dir = work_dir / "decoded";
  fs::create_directories(decoded_dir);
  add_vanished_inputs(targets, findings_dir, stem, decoded_dir, by_signature);
  std::vector<FuzzFinding> findings;
  for (auto& [signature, pending] : by_signature) {
    FuzzFinding& finding = pending.finding;
    finding.known_as = known_case(regressions_dir, signature);
    if (!finding.known_as.empty()) {
      findings.push_back(std::move(finding));
      continue;
    }
    if (finding.artifact.empty()) {
      // Hits were counted but the target could not write the case (a full disk, say).
      finding.save_error = fmt::format("{}: the fuzz target could not write the case of {} (its jobs' logs say why)",
                                       findings_dir.string(), signature);
    } else {
      // A stored case is already readable; an artifact is decoded by the binary that wrote it.
      const Case found = pending.target == nullptr
                             ? read_case_file(finding.artifact)
                             : decode_artifact(*pending.target, finding.artifact,
                                               decoded_dir / (finding.artifact.filename().string() + ".json"));
      minimize_and_write(first, finding, found, pending.target != nullptr && pending.target->sanitizers, regressions_dir);
    }
    findings.push_back(std::move(finding));
  }
  return findings;
}

}  // namespace normcheck::harness::cli
