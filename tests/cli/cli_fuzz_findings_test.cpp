// `normcheck fuzz` collecting what its fuzz targets recorded, driven by stand-ins for the
// libFuzzer processes (shell scripts): a differential finding recorded in the finding store
// (NORMCHECK_FINDING_DIR) becomes a minimized regression case with the store's hit count;
// with --jobs 2 a throughput and a sanitizer job run side by side, their executions summed;
// a job that crashes is restarted for the time left, without the input that ended it.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness/case.hpp"
#include "harness/evaluate.hpp"
#include "harness/finding_store.hpp"
#include "impls/plugin_loader.hpp"
#include "tests/cli/cli_support.hpp"

namespace normcheck::harness {
namespace {

namespace fs = std::filesystem;
using namespace cli_testing;

constexpr const char* kMutant = "mutant.layernorm.unbiased_variance";
constexpr const char* kSignature = "mutant.layernorm.unbiased_variance-layernorm-score";

// A stand-in fuzzer at dir/<target>: keeps its arguments in dir/args, prints `executions` in
// one status line, marks that it checked an input (unless checks_nothing, a kernel that
// skips every input) and, with a case to record, writes it and a hit count under `signature`
// into the finding store as a target does (harness/input_trace.hpp, harness/finding_store.hpp).
void write_stand_in(const fs::path& dir, int executions, const fs::path& recorded_case, bool checks_nothing = false,
                    const std::string& target = "layernorm_fuzzer", const std::string& signature = kSignature) {
  fs::create_directories(dir);
  const fs::path script = dir / target;
  std::ofstream out(script);
  out << "#!/bin/sh\n"
      << "echo \"$@\" > \"$(dirname \"$0\")/args\"\n";
  if (!checks_nothing) out << "touch \"$NORMCHECK_FINDING_DIR/checked-$$\"\n";
  if (!recorded_case.empty()) {
    out << "cp '" << recorded_case.string() << "' \"$NORMCHECK_FINDING_DIR/" << signature << ".json\"\n"
        << "echo 500 > \"$NORMCHECK_FINDING_DIR/" << signature << ".hits-$$\"\n";
  }
  // libFuzzer's last lines when its time is over (-print_final_stats=1).
  out << "printf '#" << executions << "\\tDONE   cov: 5 ft: 6 corp: 2/10b exec/s: 10 rss: 30Mb\\n'\n"
      << "echo 'Done " << executions << " runs in 1 second(s)'\n"
      << "echo 'stat::number_of_executed_units: " << executions << "'\n";
  out.close();
  fs::permissions(script, fs::perms::owner_all);
}

// `normcheck fuzz` of the kernel over the stand-in in dir/fuzzers, findings into dir/corpus.
Outcome fuzz_over_stand_in(const std::string& kernel, const fs::path& dir) {
  return normcheck("fuzz --kernel " + kernel + " --time 2 --fuzzer-dir '" + (dir / "fuzzers").string() +
                   "' --work-dir '" + (dir / "work").string() + "' --corpus '" + (dir / "corpus").string() + "'");
}

// The one regression case the run wrote, its name starting with `prefix`.
Case only_case_written(const fs::path& corpus, const std::string& prefix) {
  std::vector<fs::path> written;
  for (const auto& entry : fs::directory_iterator(corpus)) written.push_back(entry.path());
  EXPECT_EQ(written.size(), 1u);
  if (written.empty()) return {};
  EXPECT_EQ(written[0].filename().string().rfind(prefix, 0), 0u) << written[0];
  return read_case_file(written[0]);
}

// Two rows of four with a spread: dividing the variance by n - 1 is far outside budget.
Case failing_case() {
  Case c;
  c.problem.rows = 2;
  c.problem.n = 4;
  c.problem.eps = 0x1p-20;
  c.problem.x = {1, 2, 3, 4, -1, 0.5, 3, 8};
  c.kernel = kMutant;
  c.expect = Verdict::fail;
  c.note = kSignature;
  return c;
}

TEST(CliFuzzFindings, ARecordedFindingIsMinimizedAndKeepsItsHits) {
  const fs::path dir = scratch_dir() / "fuzz_recorded_finding";
  fs::remove_all(dir);
  fs::create_directories(dir);
  write_case_file(dir / "recorded.json", failing_case());
  write_stand_in(dir / "fuzzers", 1234, dir / "recorded.json");

  const Outcome o = fuzz_over_stand_in(kMutant, dir);
  ASSERT_EQ(o.exit_code, 1) << o.out << o.err;
  EXPECT_NE(o.out.find("executions 1234 in"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("finding " + std::string(kSignature) + " (500 hit(s))"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("(minimized)"), std::string::npos) << o.out;

  // One regression case, smaller than the recorded one, still a finding of its class.
  const Case kept = only_case_written(dir / "corpus", "layernorm-score-");
  EXPECT_EQ(kept.note, kSignature);
  EXPECT_EQ(kept.expect, Verdict::fail);
  EXPECT_LT(kept.problem.value_count(), failing_case().problem.value_count());
  const auto kernels = impls::all_kernels({});
  const impls::KernelInfo* mutant = impls::find_kernel(kernels, kMutant);
  ASSERT_NE(mutant, nullptr);
  const auto verdict = evaluate_case(*mutant, kept.problem, default_budget(*mutant));
  EXPECT_TRUE(std::any_of(verdict.violations.begin(), verdict.violations.end(),
                          [](const Violation& v) { return v.klass == ViolationClass::score; }));
}

// A backward kernel runs the backward target; its finding is minimized by the backward
// shrinker (dy with x) in an isolated worker and saved as a backward case that replays.
TEST(CliFuzzFindings, ABackwardFindingBecomesAMinimizedBackwardCase) {
  const std::string mutant = "mutant.layernorm_backward.mean_g_twice";
  const std::string signature = mutant + "-layernorm-score";
  const fs::path dir = scratch_dir() / "fuzz_backward_finding";
  fs::remove_all(dir);
  fs::create_directories(dir);
  ref::BackwardProblem problem;
  problem.rows = 3;
  problem.n = 4;
  problem.eps = 0x1p-20;
  problem.x = {1, 2, 3, 4, -1, 0.5, 3, 8, 0.25, -2, 6, 1};
  problem.dy = {1, -1, 0.5, 2, 0.125, 4, -2.5, 1, 3, 3, -1, 0.5};
  Case recorded = backward_case(problem);
  recorded.kernel = mutant;
  recorded.expect = Verdict::fail;
  recorded.note = signature;
  write_case_file(dir / "recorded.json", recorded);
  write_stand_in(dir / "fuzzers", 777, dir / "recorded.json", false, "backward_fuzzer", signature);

  const Outcome o = fuzz_over_stand_in(mutant, dir);
  ASSERT_EQ(o.exit_code, 1) << o.out << o.err;
  EXPECT_NE(o.err.find("with backward_fuzzer"), std::string::npos) << o.err;
  EXPECT_NE(o.out.find("finding " + signature + " (500 hit(s))"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("(minimized)"), std::string::npos) << o.out;
  const Case kept = only_case_written(dir / "corpus", "layernorm-backward-score-");
  EXPECT_EQ(kept.direction, Direction::backward);
  EXPECT_EQ(kept.note, signature);
  EXPECT_EQ(kept.kernel, mutant);
  EXPECT_LT(case_elements(kept), case_elements(recorded));
  // The printed replay line runs verbatim: the case still fails, as its "expect" records.
  const auto at = o.out.find("    replay: ");
  ASSERT_NE(at, std::string::npos) << o.out;
  const std::string command = o.out.substr(at + 12, o.out.find('\n', at) - at - 12);
  const Outcome replay = run_shell(command);
  EXPECT_EQ(replay.exit_code, 0) << command << "\n" << replay.out << replay.err;
  EXPECT_NE(replay.out.find("still fails as recorded"), std::string::npos) << replay.out;
}

// `normcheck fuzz` of the correct f32 LayerNorm over the stand-ins in dir/fast and dir/asan.
Outcome fuzz_two_builds(const fs::path& dir, const std::string& options, const std::string& work) {
  return normcheck("fuzz --kernel layernorm.f32.two_pass --time 2 " + options + " --fuzzer-dir '" +
                   (dir / "fast").string() + "' --asan-fuzzer-dir '" + (dir / "asan").string() + "' --work-dir '" +
                   (dir / work).string() + "' --corpus '" + (dir / "corpus").string() + "'");
}

TEST(CliFuzzFindings, TwoJobsRunAThroughputAndASanitizerJob) {
  const fs::path dir = scratch_dir() / "fuzz_two_builds";
  fs::remove_all(dir);
  write_stand_in(dir / "fast", 3000, {});
  write_stand_in(dir / "asan", 500, {});
  const Outcome o = fuzz_two_builds(dir, "--jobs 2", "work");
  ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("executions 3500 in"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("over 2 job(s)"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("builds     throughput 1 job(s)"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("AddressSanitizer 1 job(s)"), std::string::npos) << o.out;
  // Each job is one process outside fork mode, the sanitizer build's artifacts apart.
  EXPECT_EQ(slurp(dir / "fast" / "args").find("-fork"), std::string::npos) << slurp(dir / "fast" / "args");
  EXPECT_EQ(slurp(dir / "asan" / "args").find("-fork"), std::string::npos) << slurp(dir / "asan" / "args");
  EXPECT_NE(slurp(dir / "asan" / "args").find("/artifacts-asan/"), std::string::npos) << slurp(dir / "asan" / "args");

  // --sanitize: every job on the sanitizer build (two processes), none on the throughput build.
  fs::remove(dir / "fast" / "args");
  const Outcome all = fuzz_two_builds(dir, "--jobs 2 --sanitize", "work2");
  ASSERT_EQ(all.exit_code, 0) << all.out << all.err;
  EXPECT_NE(all.out.find("executions 1000 in"), std::string::npos) << all.out;
  EXPECT_FALSE(fs::exists(dir / "fast" / "args"));
}

// A stand-in whose first `crashing` runs crash as libFuzzer outside fork mode does, before
// reading the whole corpus (an artifact holding `input`, a status line, the final stats,
// exit 1) and whose later runs use their time ("Done"). Each run keeps its arguments in
// args-<run>; run counts them. Replaying its artifact gives kSignature, decoding it gives
// recorded_case, as collecting the findings asks.
void write_crashing_stand_in(const fs::path& dir, const fs::path& recorded_case, int crashing, const std::string& input) {
  fs::create_directories(dir);
  const fs::path script = dir / "layernorm_fuzzer";
  std::ofstream(script)
      << "#!/bin/sh\n"
      << "here=$(dirname \"$0\")\n"
      << "if [ -n \"$NORMCHECK_FUZZ_DECODE_TO\" ]; then cp '" << recorded_case.string()
      << "' \"$NORMCHECK_FUZZ_DECODE_TO\"; exit 0; fi\n"
      << "if [ \"$1\" = -timeout=10 ]; then echo 'normcheck-finding: " << kSignature << "'; exit 1; fi\n"
      << "n=$(( $(cat \"$here/count\" 2>/dev/null || echo 0) + 1 )); echo $n > \"$here/count\"\n"
      << "echo \"$@\" > \"$here/args-$n\"\n"
      << "touch \"$NORMCHECK_FINDING_DIR/checked-$$\"\n"
      << "if [ $n -le " << crashing << " ]; then\n"
      << "  prefix=$(echo \"$@\" | sed 's/.*-artifact_prefix=\\([^ ]*\\).*/\\1/')\n"
      << "  printf '" << input << "' > \"${prefix}crash-1234\"\n"
      << "  printf '#100\\tpulse  cov: 5 ft: 6 corp: 2/10b exec/s: 10 rss: 30Mb\\n'\n"
      << "  echo '==1== ERROR: libFuzzer: deadly signal'\n"
      << "  echo \"artifact_prefix='$prefix'; Test unit written to ${prefix}crash-1234\"\n"
      << "  echo 'stat::number_of_executed_units: 100'\n"
      << "  exit 1\n"
      << "fi\n"
      << "printf '#200\\tDONE   cov: 5 ft: 6 corp: 2/10b exec/s: 10 rss: 30Mb\\n'\n"
      << "echo 'Done 200 runs in 1 second(s)'\n"
      << "echo 'stat::number_of_executed_units: 200'\n";
  fs::permissions(script, fs::perms::owner_all);
}

Outcome fuzz_mutant_over(const fs::path& dir, int seconds) {
  return normcheck(std::string("fuzz --kernel ") + kMutant + " --time " + std::to_string(seconds) + " --fuzzer-dir '" +
                   (dir / "fuzzers").string() + "' --work-dir '" + (dir / "work").string() + "' --corpus '" +
                   (dir / "corpus").string() + "'");
}

// The run folder's file `name` (the one run of a work folder).
std::string run_file(const fs::path& work, const std::string& name) {
  for (const auto& entry : fs::directory_iterator(work)) {
    if (entry.path().filename().string().rfind("run-", 0) == 0) return slurp(entry.path() / name);
  }
  return "";
}

// The build's seed corpus (its regression and seed cases, as the setup converts them) is
// copied into the run and handed to the job beside the work corpus.
TEST(CliFuzzFindings, AJobStartsFromTheBuildsSeedCorpus) {
  const fs::path dir = scratch_dir() / "fuzz_seeds";
  fs::remove_all(dir);
  write_stand_in(dir / "fuzzers", 3000, {});
  fs::create_directories(dir / "fuzzers" / "layernorm_fuzzer_seed_corpus");
  std::ofstream(dir / "fuzzers" / "layernorm_fuzzer_seed_corpus" / "a-regression") << "seed bytes";
  const Outcome o = fuzz_over_stand_in(kMutant, dir);
  ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
  const std::string args = slurp(dir / "fuzzers" / "args");
  EXPECT_NE(args.find("/seeds"), std::string::npos) << args;
  EXPECT_EQ(run_file(dir / "work", "seeds/a-regression"), "seed bytes");
}

// A job's process that ends on a crash (outside fork mode libFuzzer exits on the first) is
// started again for the time left; the input that crashed it while it read the corpus is
// moved to quarantine first, or every restart would end on it again. Its executions add up
// over the restarts and its artifact is a finding as any other.
TEST(CliFuzzFindings, AJobThatCrashesIsRestartedWithoutItsInput) {
  const fs::path dir = scratch_dir() / "fuzz_restart";
  fs::remove_all(dir);
  fs::create_directories(dir / "work" / "corpus");
  std::ofstream(dir / "work" / "corpus" / "deadly") << "boom";
  std::ofstream(dir / "work" / "corpus" / "harmless") << "fine";
  write_case_file(dir / "recorded.json", failing_case());
  write_crashing_stand_in(dir / "fuzzers", dir / "recorded.json", 1, "boom");

  const Outcome o = fuzz_mutant_over(dir, 10);
  ASSERT_EQ(o.exit_code, 1) << o.out << o.err;
  EXPECT_EQ(slurp(dir / "fuzzers" / "count"), "2\n");
  EXPECT_NE(o.out.find("executions 300 in"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("crashes    1 (timeouts 0, ooms 0)"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("finding " + std::string(kSignature)), std::string::npos) << o.out;
  // The restart fuzzes for the time left, not the whole --time again.
  const std::string restarted = slurp(dir / "fuzzers" / "args-2");
  const auto at = restarted.find("-max_total_time=");
  ASSERT_NE(at, std::string::npos) << restarted;
  const int seconds = std::atoi(restarted.c_str() + at + 16);
  EXPECT_GE(seconds, 5) << restarted;
  EXPECT_LE(seconds, 9) << restarted;
  EXPECT_EQ(restarted.find("-fork"), std::string::npos) << restarted;
  // The crashing input left the corpus for the run's quarantine; the other stayed.
  EXPECT_FALSE(fs::exists(dir / "work" / "corpus" / "deadly"));
  EXPECT_TRUE(fs::exists(dir / "work" / "corpus" / "harmless"));
  EXPECT_EQ(run_file(dir / "work", "quarantine/deadly"), "boom");
  const std::string log = run_file(dir / "work", "fuzz.log");
  EXPECT_NE(log.find("its input is taken out of the corpus; restarting it for the "), std::string::npos) << log;
}

// A job that keeps crashing before it has read the corpus, on an input the corpus does not
// hold, is not restarted for the rest of --time: three restarts in a row without reading
// the corpus or taking an input out end it, and the run with it.
TEST(CliFuzzFindings, AJobThatCrashesAsItStartsEndsAfterThreeTries) {
  const fs::path dir = scratch_dir() / "fuzz_restart_storm";
  fs::remove_all(dir);
  fs::create_directories(dir / "work" / "corpus");
  std::ofstream(dir / "work" / "corpus" / "harmless") << "fine";
  write_case_file(dir / "recorded.json", failing_case());
  write_crashing_stand_in(dir / "fuzzers", dir / "recorded.json", 1000, "elsewhere");

  const auto start = std::chrono::steady_clock::now();
  const Outcome o = fuzz_mutant_over(dir, 120);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(o.exit_code, 1) << o.out << o.err;
  EXPECT_LT(seconds, 60) << "the job was restarted until --time";
  EXPECT_EQ(slurp(dir / "fuzzers" / "count"), "3\n");
  EXPECT_NE(o.out.find("crashes    3 (timeouts 0, ooms 0)"), std::string::npos) << o.out;
  EXPECT_TRUE(fs::exists(dir / "work" / "corpus" / "harmless"));
  const std::string log = run_file(dir / "work", "fuzz.log");
  EXPECT_NE(log.find("not restarted: three restarts in a row"), std::string::npos) << log;
}

// A run in which no process checked an input (the kernel answered UNSUPPORTED to all) has
// no finding, yet verified nothing: exit 1, said in the summary, as check's NO CASES.
TEST(CliFuzzFindings, ARunThatCheckedNoInputIsNoPass) {
  const fs::path dir = scratch_dir() / "fuzz_checked_nothing";
  fs::remove_all(dir);
  write_stand_in(dir / "fast", 3000, {}, true);
  const Outcome o = fuzz_two_builds(dir, "--jobs 1", "work");
  EXPECT_EQ(o.exit_code, 1) << o.out << o.err;
  EXPECT_NE(o.out.find("0 distinct finding(s)"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("no input checked: the kernel skipped every input"), std::string::npos) << o.out;
}

}  // namespace
}  // namespace normcheck::harness
