// The commands against a plugin of faulty kernels (tests/cli/plugins/faulty_plugin.c):
// every replay command they print runs verbatim in a shell, report survives crashing,
// hanging and non-reentrant kernels, a kernel with no case checked is never a pass, and an
// unknown kernel name points at --plugin.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_support.hpp"

namespace normcheck::harness {
namespace {

namespace fs = std::filesystem;
using namespace cli_testing;

const std::string kPlugin = FAULTY_PLUGIN_PATH;

// The lines of text that start with prefix, without it.
std::vector<std::string> lines_after(const std::string& text, const std::string& prefix) {
  std::vector<std::string> found;
  std::size_t at = 0;
  while ((at = text.find(prefix, at)) != std::string::npos) {
    const std::size_t start = at + prefix.size();
    const std::size_t end = text.find('\n', start);
    found.push_back(text.substr(start, end - start));
    at = end;
  }
  return found;
}

nlohmann::json read_json(const fs::path& path) { return nlohmann::json::parse(slurp(path)); }

const nlohmann::json& kernel_entry(const nlohmann::json& report, const std::string& name) {
  for (const auto& k : report.at("kernels"))
    if (k.at("name") == name) return k;
  throw std::runtime_error("no kernel " + name + " in report.json");
}

TEST(CliFaultyKernels, CheckPrintsReplayCommandsThatRunVerbatim) {
  const fs::path saved = scratch_dir() / "check failures";
  fs::remove_all(saved);
  const Outcome check = normcheck("check --plugin '" + kPlugin +
                                  "' --kernel faulty.layernorm.f32.unbiased --cases 40 --save-failures '" +
                                  saved.string() + "'");
  ASSERT_EQ(check.exit_code, 1) << check.out << check.err;
  const auto commands = lines_after(check.out, "\nreplay: ");
  ASSERT_FALSE(commands.empty()) << check.out;
  for (const std::string& command : commands) {
    EXPECT_EQ(command.rfind(std::string(NORMCHECK_BINARY) + " replay ", 0), 0u) << command;
    EXPECT_NE(command.find("--plugin"), std::string::npos) << command;
    // The kernel is under test, so its case records "expect": "pass": it still fails.
    const Outcome replay = run_shell(command);
    EXPECT_EQ(replay.exit_code, 1) << command << "\n" << replay.out << replay.err;
    EXPECT_NE(replay.out.find("FAIL"), std::string::npos) << replay.out;
  }
}

// The report's case timeout: short, since every case of a row of one element hangs, yet
// far beyond the largest sweep case of a correct kernel (n = 65536: about 10 ms in release,
// 150 ms under ASan + UBSan, and several times that on a loaded 2-core machine).
// The hang kernel waits out this timeout on each of its hanging cases, and the correct
// kernels beside it must never reach it: 300 ms failed the non-reentrant (correct) kernel on
// a machine with three busy cores, so the margin is that of the sanitizer build for all.
constexpr int kReportCaseTimeoutMs = 2000;

TEST(CliFaultyKernels, ReportSurvivesCrashesHangsAndNonReentrantKernels) {
  const fs::path out = scratch_dir() / "report";
  fs::remove_all(out);
  const std::string timeout_ms = std::to_string(kReportCaseTimeoutMs);
  const Outcome report = normcheck(
      "report --quick --case-timeout-ms " + timeout_ms + " --plugin '" + kPlugin +
      "' --kernel faulty.layernorm.f32.crash" +
      " --kernel faulty.layernorm.f32.hang --kernel faulty.layernorm.f32.static_scratch" +
      " --kernel layernorm.f32.two_pass --threads 2 --fail-on-findings --out '" + out.string() + "'");
  EXPECT_EQ(report.exit_code, 1) << report.out << report.err;
  ASSERT_TRUE(fs::exists(out / "report.json")) << report.out << report.err;
  ASSERT_TRUE(fs::exists(out / "index.html"));
  const nlohmann::json json = read_json(out / "report.json");
  EXPECT_EQ(kernel_entry(json, "faulty.layernorm.f32.crash").at("verdict"), "fail");
  EXPECT_EQ(kernel_entry(json, "faulty.layernorm.f32.hang").at("verdict"), "fail");
  const std::string crash = kernel_entry(json, "faulty.layernorm.f32.crash").dump();
  EXPECT_NE(crash.find("crash: killed by signal 11"), std::string::npos) << crash;
  const std::string hang = kernel_entry(json, "faulty.layernorm.f32.hang").dump();
  EXPECT_NE(hang.find("timeout: no result within " + timeout_ms + " ms"), std::string::npos) << hang;
  // Two threads, one worker process each: a kernel's static scratch is never shared.
  EXPECT_EQ(kernel_entry(json, "faulty.layernorm.f32.static_scratch").at("verdict"), "pass");
  EXPECT_EQ(kernel_entry(json, "layernorm.f32.two_pass").at("verdict"), "pass");

  // Every worst case's replay command runs verbatim; it passes exactly when the case did.
  for (const auto& k : json.at("kernels")) {
    for (const auto& w : k.at("worst_cases")) {
      const std::string command = w.at("replay");
      const bool from_plugin = k.at("name").get<std::string>().rfind("faulty.", 0) == 0;
      EXPECT_EQ(command.find("--plugin") != std::string::npos, from_plugin) << command;
      const Outcome replay = run_shell(command);
      EXPECT_EQ(replay.exit_code, w.at("failed").get<bool>() ? 1 : 0)
          << command << "\n" << replay.out << replay.err;
    }
  }
}

TEST(CliFaultyKernels, InProcessReportNeverCallsAKernelThatIsNotThreadSafeConcurrently) {
  const fs::path out = scratch_dir() / "report-no-isolate";
  fs::remove_all(out);
  const Outcome report =
      normcheck("report --quick --no-isolate --threads 2 --plugin '" + kPlugin +
                "' --kernel faulty.layernorm.f32.static_scratch --fail-on-findings --out '" + out.string() + "'");
  EXPECT_EQ(report.exit_code, 0) << report.out << report.err;
  EXPECT_EQ(kernel_entry(read_json(out / "report.json"), "faulty.layernorm.f32.static_scratch").at("verdict"),
            "pass");
}

TEST(CliFaultyKernels, AKernelWithNoCaseCheckedIsNeverAPass) {
  const fs::path out = scratch_dir() / "report-unsupported";
  fs::remove_all(out);
  const Outcome report = normcheck("report --quick --plugin '" + kPlugin +
                                   "' --kernel faulty.rmsnorm.f32.unsupported --fail-on-findings --out '" +
                                   out.string() + "'");
  EXPECT_EQ(report.exit_code, 1) << report.out << report.err;
  EXPECT_NE(report.out.find("1 with no cases checked"), std::string::npos) << report.out;
  const nlohmann::json json = read_json(out / "report.json");
  EXPECT_EQ(kernel_entry(json, "faulty.rmsnorm.f32.unsupported").at("verdict"), "no cases");
  // The command the report records runs verbatim and writes the same report again.
  const std::string recorded = json.at("command");
  EXPECT_EQ(recorded.rfind(std::string(NORMCHECK_BINARY) + " report ", 0), 0u) << recorded;
  fs::remove_all(out);
  const Outcome again = run_shell(recorded);
  EXPECT_EQ(again.exit_code, 1) << "the same verdict as the run it records\n" << recorded << "\n" << again.out << again.err;
  EXPECT_TRUE(fs::exists(out / "report.json")) << recorded;
  const Outcome check = normcheck("check --plugin '" + kPlugin + "' --kernel faulty.rmsnorm.f32.unsupported --cases 20");
  EXPECT_EQ(check.exit_code, 1) << check.out << check.err;
  EXPECT_NE(check.out.find("NO CASES"), std::string::npos) << check.out;
}

// A status outside the enum is data: read as an integer and reported, in a worker and in
// this process alike (under UBSan, reading it as the enum would be undefined behaviour).
TEST(CliFaultyKernels, AStatusOutsideTheEnumIsReported) {
  for (const std::string isolation : {"", " --no-isolate"}) {
    const Outcome check = normcheck("check --plugin '" + kPlugin + "' --kernel faulty.layernorm.f32.status7 --cases 5" +
                                    isolation);
    EXPECT_EQ(check.exit_code, 1) << check.out << check.err;
    EXPECT_NE(check.out.find("the kernel returned status 7"), std::string::npos) << check.out;
  }
}

// What a kernel prints stays in its worker: a fake verdict never reaches normcheck's
// output, and what a crashing kernel said goes with its finding.
TEST(CliFaultyKernels, KernelOutputIsCapturedAndGoesWithItsFinding) {
  const Outcome chatty = normcheck("check --plugin '" + kPlugin + "' --kernel faulty.layernorm.f32.chatty --cases 30");
  EXPECT_EQ(chatty.exit_code, 0) << chatty.out << chatty.err;
  EXPECT_EQ(chatty.out.find("1 kernels: all within budget"), std::string::npos) << chatty.out;
  EXPECT_EQ(chatty.err.find("noise"), std::string::npos) << chatty.err;
  const Outcome crash = normcheck("check --plugin '" + kPlugin + "' --kernel faulty.layernorm.f32.crash --cases 200");
  EXPECT_EQ(crash.exit_code, 1) << crash.out << crash.err;
  EXPECT_NE(crash.out.find("kernel output, 30 bytes: \"faulty kernel: about to crash\\n\""), std::string::npos)
      << crash.out;
}

// A kernel that ends its process, with or without atexit handlers, is a crash finding:
// the worker is gone without a reply, whatever its exit status.
TEST(CliFaultyKernels, AKernelThatExitsIsACrashFinding) {
  for (const std::string kernel : {"faulty.layernorm.f32.exits", "faulty.layernorm.f32.quick_exits"}) {
    const Outcome check = normcheck("check --plugin '" + kPlugin + "' --kernel " + kernel + " --cases 200 --no-shrink");
    EXPECT_EQ(check.exit_code, 1) << kernel << "\n" << check.out << check.err;
    EXPECT_NE(check.out.find(kernel + "-crash"), std::string::npos) << check.out;
    EXPECT_NE(check.out.find("worker exited with status 0"), std::string::npos) << check.out;
  }
}

// A child the kernel forked dies with its worker; it neither stalls the run nor outlives it.
TEST(CliFaultyKernels, AProcessTheKernelForksDoesNotOutliveTheRun) {
  const auto started = std::chrono::steady_clock::now();
  const Outcome o = normcheck("check --plugin '" + kPlugin + "' --kernel faulty.layernorm.f32.forks --cases 20");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  std::printf("check with a forking kernel: %.1f s\n", seconds);
  EXPECT_LT(seconds, 25.0) << "stalled on the kernel's child";  // the child sleeps 30 s
  const Outcome left = run_shell("pgrep -f '^" + std::string(NORMCHECK_BINARY) + " check --plugin .* faulty.layernorm.f32.forks'");
  EXPECT_NE(left.exit_code, 0) << "still running:\n" << left.out;
}

// A kernel that leaks on every call is a memory finding, not a worker grown to gigabytes.
TEST(CliFaultyKernels, AKernelThatLeaksIsAMemoryFinding) {
  const Outcome o = normcheck("check --plugin '" + kPlugin + "' --kernel faulty.layernorm.f32.leaks --cases 60 --no-shrink");
  EXPECT_EQ(o.exit_code, 1) << o.out << o.err;
  EXPECT_NE(o.out.find("the kernel leaks or hoards memory"), std::string::npos) << o.out;
}

// normcheck keeps its own copy of each table entry: a kernel renaming itself in process
// files its results under the name it was loaded with.
TEST(CliFaultyKernels, AKernelThatRewritesItsTableEntryKeepsItsIdentity) {
  const fs::path out = scratch_dir() / "report-renames";
  fs::remove_all(out);
  const Outcome report = normcheck("report --quick --no-isolate --plugin '" + kPlugin +
                                   "' --kernel faulty.layernorm.f32.renames --out '" + out.string() + "'");
  EXPECT_EQ(report.exit_code, 0) << report.out << report.err;
  EXPECT_TRUE(fs::exists(out / "cases" / "faulty.layernorm.f32.renames-1.json"));
  EXPECT_FALSE(fs::exists(out / "cases" / "layernorm.f32.two_pass-1.json"));
  EXPECT_NO_THROW((void)kernel_entry(read_json(out / "report.json"), "faulty.layernorm.f32.renames"));
}

// run's self is the plugin's own table entry (not normcheck's copy), so a kernel that
// finds itself by address (self - table, container_of) works, in a worker and in process.
TEST(CliFaultyKernels, AKernelIsCalledWithItsOwnTableEntry) {
  for (const std::string isolation : {"", " --no-isolate"}) {
    const Outcome check = normcheck("check --plugin '" + kPlugin +
                                    "' --kernel faulty.layernorm.f32.finds_itself --cases 10" + isolation);
    EXPECT_EQ(check.exit_code, 0) << isolation << "\n" << check.out << check.err;
  }
}

// A kernel that leaves the rounding mode or FTZ / DAZ changed is an fp-state finding, and
// the kernels judged after it in the same process see the default state: their figures are
// those of a run without it, in check and in report.
TEST(CliFaultyKernels, AKernelThatLeavesTheFpStateChangedIsAFindingAndChangesNoOtherVerdict) {
  for (const std::string faulty : {"faulty.layernorm.f32.rounds_upward", "faulty.layernorm.f32.flushes_subnormals"}) {
    const Outcome check = normcheck("check --no-isolate --cases 200 --plugin '" + kPlugin + "' --kernel " + faulty +
                                    " --kernel layernorm.f32.two_pass");
    EXPECT_EQ(check.exit_code, 1) << check.out << check.err;
    EXPECT_NE(check.out.find("FAIL (fp-state)"), std::string::npos) << check.out;
    EXPECT_NE(check.out.find("normcheck restored it after the call"), std::string::npos) << check.out;
    EXPECT_EQ(check.out.find("FINDING layernorm.f32.two_pass"), std::string::npos) << check.out;
  }
  // report's exit code says whether a kernel under test failed: the faulty ones do.
  const auto two_pass_figures = [](const std::string& kernels, const std::string& label, int exit_code) {
    const fs::path out = scratch_dir() / ("report-fp-state-" + label);
    fs::remove_all(out);
    const Outcome report = normcheck("report --quick --no-isolate --plugin '" + kPlugin + "'" + kernels +
                                     " --kernel layernorm.f32.two_pass --out '" + out.string() + "'");
    EXPECT_EQ(report.exit_code, exit_code) << report.out << report.err;
    return kernel_entry(read_json(out / "report.json"), "layernorm.f32.two_pass");
  };
  const nlohmann::json alone = two_pass_figures("", "alone", 0);
  const nlohmann::json beside = two_pass_figures(
      " --kernel faulty.layernorm.f32.rounds_upward --kernel faulty.layernorm.f32.flushes_subnormals", "beside", 1);
  EXPECT_EQ(beside.at("verdict"), "pass");
  EXPECT_EQ(beside.at("score"), alone.at("score"));
  EXPECT_EQ(beside.at("ulp_error"), alone.at("ulp_error"));
  EXPECT_EQ(beside.at("sweeps"), alone.at("sweeps"));
}

TEST(CliFaultyKernels, AnUnknownKernelSuggestsThePlugin) {
  const fs::path case_file = scratch_dir() / "names-a-plugin-kernel.json";
  {
    std::ofstream(case_file) << R"({"op": "layernorm", "x_dtype": "f32", "param_dtype": "f32", "y_dtype": "f32",
      "rows": 1, "n": 2, "eps": "0x0p+0", "x": ["0x1p+0", "0x1p+1"], "gamma": null, "beta": null,
      "residual": null, "kernel": "faulty.layernorm.f32.unbiased", "expect": "pass"})";
  }
  for (const std::string& args : {"replay '" + case_file.string() + "'",
                                  std::string("check --kernel faulty.layernorm.f32.unbiased --cases 1")}) {
    const Outcome o = normcheck(args);
    EXPECT_EQ(o.exit_code, 2) << args << "\n" << o.out << o.err;
    EXPECT_NE(o.err.find("--plugin"), std::string::npos) << args << "\n" << o.err;
  }
}

}  // namespace
}  // namespace normcheck::harness
