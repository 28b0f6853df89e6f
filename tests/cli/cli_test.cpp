// Tests of the normcheck binary: exit codes and messages for bad input, oracle output for
// every seed, and the kernel list.
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/case.hpp"
#include "harness/sanitized_build.hpp"
#include "tests/cli/cli_support.hpp"
#include "impls/abi_names.hpp"
#include "impls/registry.hpp"
#include "reference/oracle.hpp"

namespace normcheck::harness {
namespace {

namespace fs = std::filesystem;
using namespace cli_testing;

fs::path write_case(const std::string& name, const std::string& text) {
  const fs::path path = scratch_dir() / name;
  std::ofstream(path) << text;
  return path;
}

fs::path source_dir() {
  const char* dir = std::getenv("NORMCHECK_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

constexpr const char* kGood = R"({"op": "layernorm", "x_dtype": "f16", "param_dtype": "f32",
  "y_dtype": "f16", "rows": 1, "n": 3, "eps": "0x1.4f8b58p-17",
  "x": ["0x1p+0", "-0x1.8p-3", "0x1p-2"], "gamma": null, "beta": null, "residual": null})";

std::string good_with(const std::string& from, const std::string& to) {
  std::string text = kGood;
  return text.replace(text.find(from), from.size(), to);
}

TEST(CliTest, BadInputExitsTwoWithTheFileAndField) {
  struct Bad {
    std::string name, text, expected;
  };
  const Bad cases[] = {
      {"bad_json.json", "{\"op\": ", "bad JSON"},
      {"wrong_length.json", good_with(", \"0x1p-2\"]", "]"), "field \"x\": expected 3 values"},
      {"unknown_dtype.json", good_with("\"x_dtype\": \"f16\"", "\"x_dtype\": \"fp16\""), "field \"x_dtype\": unknown dtype"},
      {"unrepresentable.json", good_with("\"0x1p-2\"", "\"0x1.0001p+0\""),
       "field \"x\"[2]: 0x1.0001p+0 is not representable in f16"},
      {"n_range.json", good_with("\"n\": 3", "\"n\": 0"), "field \"n\": 0 is out of range"},
  };
  for (const Bad& bad : cases) {
    const fs::path path = write_case(bad.name, bad.text);
    const Outcome o = normcheck("oracle '" + path.string() + "'");
    EXPECT_EQ(o.exit_code, 2) << bad.name << ": " << o.err;
    EXPECT_NE(o.err.find(path.string()), std::string::npos) << o.err;
    EXPECT_NE(o.err.find(bad.expected), std::string::npos) << o.err;
    EXPECT_TRUE(o.out.empty()) << o.out;
  }
  const Outcome missing = normcheck("oracle /nonexistent/case.json");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("/nonexistent/case.json"), std::string::npos);
}

TEST(CliTest, UsageErrorsExitTwoAndHelpExitsZero) {
  EXPECT_EQ(normcheck("").exit_code, 2);
  EXPECT_EQ(normcheck("frobnicate").exit_code, 2);
  EXPECT_EQ(normcheck("oracle").exit_code, 2);
  EXPECT_EQ(normcheck("list --no-such-flag").exit_code, 2);
  const Outcome help = normcheck("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Exit codes"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("oracle"), std::string::npos);
  const Outcome oracle_help = normcheck("oracle --help");
  EXPECT_EQ(oracle_help.exit_code, 0);
  EXPECT_NE(oracle_help.out.find("--exact"), std::string::npos) << oracle_help.out;
}

std::vector<std::string> hex_all(const std::vector<double>& values) {
  std::vector<std::string> out;
  for (double v : values) out.push_back(hex_float(v));
  return out;
}

// For every seed the binary prints what the oracle computes, and --exact agrees bitwise.
TEST(CliTest, OracleOutputForEverySeed) {
  int seeds = 0;
  for (const auto& entry : fs::directory_iterator(source_dir() / "corpus/seeds")) {
    if (entry.path().extension() != ".json") continue;
    ++seeds;
    const Case c = read_case_file(entry.path());
    const ref::OracleResult want = ref::compute_oracle(c.problem);
    const Outcome o = normcheck("oracle '" + entry.path().string() + "'");
    ASSERT_EQ(o.exit_code, 0) << entry.path() << ": " << o.err;
    const nlohmann::json got = nlohmann::json::parse(o.out);
    EXPECT_EQ(got.at("y").get<std::vector<std::string>>(), hex_all(want.y)) << entry.path();
    EXPECT_EQ(got.at("mean").get<std::vector<std::string>>(), hex_all(want.mean)) << entry.path();
    EXPECT_EQ(got.at("rstd").get<std::vector<std::string>>(), hex_all(want.rstd)) << entry.path();
    EXPECT_EQ(got.contains("residual_out"), c.problem.has_residual()) << entry.path();
    if (c.problem.has_residual()) {
      EXPECT_EQ(got.at("residual_out").get<std::vector<std::string>>(), hex_all(want.residual_out));
    }
    const Outcome exact = normcheck("oracle --exact '" + entry.path().string() + "'");
    EXPECT_EQ(exact.exit_code, 0);
    EXPECT_EQ(exact.out, o.out) << entry.path();
  }
  EXPECT_GE(seeds, 12);
}

TEST(CliTest, OracleOfTheBasicSeedIsCorrectlyRounded) {
  // Expected values computed independently of the oracle: exact rationals for the
  // statistics, an 80-digit decimal square root, then round-to-nearest-even to f16.
  const std::vector<std::string> expected = {"0x1.d34p-3", "-0x1.6e4p-3", "-0x1.b3p-1",  "0x1.9acp+0",
                                             "-0x1.8fcp-1", "-0x1.b74p-5", "0x1.92cp+0", "0x1.fd8p-2"};
  const Outcome o = normcheck("oracle '" + (source_dir() / "corpus/seeds/layernorm_f16_basic.json").string() + "'");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const auto got = nlohmann::json::parse(o.out);
  EXPECT_EQ(got.at("y").get<std::vector<std::string>>(), expected);
  EXPECT_EQ(got.at("mean").get<std::vector<std::string>>(), std::vector<std::string>{"0x1.5ap-1"});
}

// A backward case gives {"dx", "dgamma", "dbeta"}, correctly rounded (and the same with
// --exact); replay runs it on every correct backward kernel of its op and dtypes.
TEST(CliTest, OracleOfABackwardCaseGivesCorrectlyRoundedGradients) {
  const fs::path path = write_case("backward.json", R"({"op": "layernorm", "x_dtype": "f32", "param_dtype": "f32",
    "y_dtype": "f32", "rows": 2, "n": 3, "eps": "0x1p-20",
    "x": ["0x1p+0", "0x1p+1", "-0x1p+0", "0x1.8p+0", "0x1p-2", "0x0p+0"],
    "gamma": ["0x1p+0", "0x1.8p+1", "-0x1p-1"], "beta": null, "residual": null,
    "direction": "backward", "dy": ["0x1p+0", "-0x1p+0", "0x1p-1", "0x1p-3", "0x1p+2", "-0x1.4p+1"]})");
  // Computed independently of the oracle: the textbook gradient formulas in 300-bit
  // arithmetic (mpmath), then rounded to f32.
  const std::vector<std::string> dx = {"0x1.96d90ap+0",  "-0x1.0f3b66p+0", "-0x1.0f3b4ap-1",
                                       "-0x1.9cf526p+0", "0x1.35b75ap+3",  "-0x1.0218b6p+3"};
  const std::vector<std::string> dgamma = {"0x1.c47dccp-2", "-0x1.8cef06p+1", "0x1.8de9aep+0"};
  const std::vector<std::string> dbeta = {"0x1.2p+0", "0x1.8p+1", "-0x1p+1"};  // exact column sums of dy
  for (const std::string flags : {"", "--exact "}) {
    const Outcome o = normcheck("oracle " + flags + "'" + path.string() + "'");
    ASSERT_EQ(o.exit_code, 0) << flags << o.err;
    const auto got = nlohmann::json::parse(o.out);
    EXPECT_EQ(got.size(), 3u) << o.out;
    EXPECT_EQ(got.at("dx").get<std::vector<std::string>>(), dx) << flags;
    EXPECT_EQ(got.at("dgamma").get<std::vector<std::string>>(), dgamma) << flags;
    EXPECT_EQ(got.at("dbeta").get<std::vector<std::string>>(), dbeta) << flags;
  }
  const Outcome replay = normcheck("replay '" + path.string() + "'");
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  EXPECT_NE(replay.out.find("on layernorm_backward.f32: passes"), std::string::npos) << replay.out;
  // On a forward kernel it is incompatible, said so, and runs nothing (exit 2).
  const Outcome forward = normcheck("replay '" + path.string() + "' --kernel layernorm.f32.two_pass");
  EXPECT_EQ(forward.exit_code, 2) << forward.out << forward.err;
  EXPECT_NE(forward.out.find("a backward case, and layernorm.f32.two_pass is a forward kernel"), std::string::npos)
      << forward.out;
  // report takes it: its backward section (docs/reports.md).
  const fs::path out = scratch_dir() / "report-of-a-backward-kernel";
  const Outcome report = normcheck("report --quick --kernel layernorm_backward.f32 --out '" + out.string() + "'");
  EXPECT_EQ(report.exit_code, 0) << report.out << report.err;
  EXPECT_NE(slurp(out / "report.md").find("## Backward pass"), std::string::npos);
  fs::remove_all(out);
  // fuzz takes it: past the kernel's name, its fuzz target is looked for.
  const Outcome fuzz = normcheck("fuzz --time 1 --kernel layernorm_backward.f32 --fuzzer-dir /nonexistent");
  EXPECT_EQ(fuzz.exit_code, 2) << fuzz.err;
  EXPECT_NE(fuzz.err.find("the libFuzzer target backward_fuzzer was not found"), std::string::npos) << fuzz.err;
}

TEST(CliTest, ListShowsEveryBuiltinOnItsOwnLine) {
  const Outcome o = normcheck("list");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  std::istringstream lines(o.out);
  std::vector<std::string> listed;
  for (std::string line; std::getline(lines, line);) listed.push_back(line);
  // The forward kernels, then the backward ones, each marked "backward" after its name.
  const auto& builtins = impls::builtin_kernels();
  const auto& backward = impls::builtin_backward_kernels();
  ASSERT_EQ(listed.size(), builtins.size() + backward.size());
  for (std::size_t i = 0; i < builtins.size(); ++i) {
    EXPECT_EQ(listed[i], impls::describe_kernel(builtins[i]));
    EXPECT_NE(listed[i].find(builtins[i].kernel->name), std::string::npos);
    EXPECT_EQ(listed[i].find(" backward "), std::string::npos) << listed[i];
  }
  for (std::size_t i = 0; i < backward.size(); ++i) {
    const std::string& line = listed[builtins.size() + i];
    EXPECT_EQ(line, impls::describe_kernel(backward[i]));
    EXPECT_EQ(line.find(std::string(backward[i].kernel->name) + "  backward op="), 0u) << line;
  }
  const Outcome bad_plugin = normcheck("list --plugin /nonexistent/libplugin.so");
  EXPECT_EQ(bad_plugin.exit_code, 2);
  EXPECT_NE(bad_plugin.err.find("/nonexistent/libplugin.so"), std::string::npos) << bad_plugin.err;
}

// A version-2 plugin's backward kernels are listed after every forward kernel.
TEST(CliTest, ListShowsAPluginsBackwardKernels) {
  const Outcome o = normcheck(std::string("list --plugin '") + EXAMPLE_PLUGIN_PATH + "'");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  std::istringstream lines(o.out);
  std::vector<std::string> listed;
  for (std::string line; std::getline(lines, line);) listed.push_back(line);
  ASSERT_EQ(listed.size(), impls::builtin_kernels().size() + impls::builtin_backward_kernels().size() + 2);
  const std::string origin = std::string(" origin=") + EXAMPLE_PLUGIN_PATH;
  EXPECT_EQ(listed[impls::builtin_kernels().size()],
            "example.layernorm.f32  op=layernorm x=f32 param=f32 y=f32 flags=none compute=f32" + origin);
  EXPECT_EQ(listed.back(),
            "example.layernorm_backward.f32  backward op=layernorm x=f32 param=f32 dy=f32 flags=thread_safe "
            "compute=f32" + origin);
}

// A path as one shell word (test paths hold no single quote).
std::string quoted(const fs::path& path) {
  std::string word = "'";
  word += path.string();
  word += "'";
  return word;
}

std::string seed(const std::string& name) { return quoted(source_dir() / "corpus/seeds" / name); }

void expect_input_error(const Outcome& o, const std::vector<std::string>& mentions, const std::string& what) {
  EXPECT_EQ(o.exit_code, 2) << what << "\n" << o.out << o.err;
  for (const auto& m : mentions) EXPECT_NE(o.err.find(m), std::string::npos) << what << ": no \"" << m << "\" in " << o.err;
}

// A case is never converted to a kernel that computes something else: on such a kernel
// it is skipped with both descriptions, and a replay where nothing could run is bad input.
TEST(CliTest, ReplayOnAKernelThatDoesNotComputeTheCaseSkipsIt) {
  const Outcome o = normcheck("replay " + seed("rmsnorm_f32_basic.json") + " --kernel layernorm.f32.two_pass");
  expect_input_error(o, {"layernorm.f32.two_pass", "no case"}, "rmsnorm seed on a layernorm kernel");
  EXPECT_NE(o.out.find("skipped: case is rmsnorm f32/f32/f32 without residual, kernel takes layernorm f32/f32/f32"),
            std::string::npos)
      << o.out;
  EXPECT_EQ(o.out.find("passes"), std::string::npos) << o.out;

  // Among several cases, those the kernel computes run, the others are skipped.
  const Outcome mixed = normcheck("replay " + seed("rmsnorm_f32_basic.json") + " " +
                                  seed("layernorm_f32_n1.json") + " --kernel layernorm.f32.two_pass");
  EXPECT_EQ(mixed.exit_code, 0) << mixed.out << mixed.err;
  EXPECT_NE(mixed.out.find("layernorm_f32_n1.json on layernorm.f32.two_pass: passes"), std::string::npos) << mixed.out;
  EXPECT_NE(mixed.out.find("rmsnorm_f32_basic.json on layernorm.f32.two_pass: skipped"), std::string::npos) << mixed.out;
}

TEST(CliTest, BadFlagsOfCheckAndReplayExitTwo) {
  EXPECT_EQ(normcheck("check --time nan").exit_code, 2);
  EXPECT_EQ(normcheck("check --time inf").exit_code, 2);
  EXPECT_EQ(normcheck("check --time -1").exit_code, 2);
  EXPECT_EQ(normcheck("check --case-timeout-ms 0").exit_code, 2);
  EXPECT_EQ(normcheck("check --case-timeout-ms 9223372036854775807").exit_code, 2);
  EXPECT_EQ(normcheck("check --kernel no.such.kernel").exit_code, 2);
  EXPECT_EQ(normcheck("replay " + seed("rmsnorm_f32_basic.json") + " --case-timeout-ms 0").exit_code, 2);
  EXPECT_EQ(normcheck("replay " + seed("rmsnorm_f32_basic.json") + " --case-timeout-ms 5000").exit_code, 0);
  EXPECT_EQ(normcheck("replay /nonexistent/case.json").exit_code, 2);
  EXPECT_EQ(normcheck("fuzz --kernel rmsnorm.f32 --time nan").exit_code, 2);
  EXPECT_EQ(normcheck("fuzz --kernel rmsnorm.f32 --time 0.4").exit_code, 2);
  EXPECT_EQ(normcheck("fuzz --kernel rmsnorm.f32 --time 5 --jobs 0").exit_code, 2);
}

// Output paths are checked before anything runs: bad input (2), never an internal error (3).
TEST(CliTest, UnusableOutputPathsExitTwoBeforeTheRun) {
  const fs::path file = write_case("plain_file.txt", "not a directory");
  const fs::path dir = scratch_dir() / "a_directory";
  fs::create_directories(dir);
  const std::string quick = "check --kernel layernorm.f32.two_pass --cases 3 ";
  const struct {
    std::string args, flag, path;
  } bad[] = {
      {quick + "--save-failures '" + file.string() + "'", "--save-failures", file.string()},
      {quick + "--save-failures '" + (file / "sub").string() + "'", "--save-failures", file.string()},
      {quick + "--junit /nonexistent/dir/out.xml", "--junit", "/nonexistent/dir/out.xml"},
      {quick + "--json '" + dir.string() + "'", "--json", dir.string()},
      {"report --quick --kernel rmsnorm.f32 --out '" + file.string() + "'", "--out", file.string()},
  };
  for (const auto& b : bad) {
    const Outcome o = normcheck(b.args);
    expect_input_error(o, {b.flag, b.path}, b.args);
    EXPECT_EQ(o.out.find("cases"), std::string::npos) << "ran before checking the path: " << o.out;
  }
  expect_input_error(normcheck("oracle '" + dir.string() + "'"), {dir.string(), "is a directory"}, "directory case");
}

TEST(CliTest, BudgetEntryForAnUnknownKernelExitsTwo) {
  const fs::path budgets = write_case("typo_budgets.toml", "[kernel.\"layernorm.f32.two_pas\"]\nmax_score = 8\n");
  const std::string flag = " --budgets '" + budgets.string() + "'";
  const std::vector<std::string> mentions = {budgets.string(), "kernel.\"layernorm.f32.two_pas\""};
  expect_input_error(normcheck("check --kernel rmsnorm.f32 --cases 2" + flag), mentions, "check");
  expect_input_error(normcheck("replay " + seed("rmsnorm_f32_basic.json") + flag), mentions, "replay");
  expect_input_error(normcheck("report --quick --kernel rmsnorm.f32 --out '" + (scratch_dir() / "r").string() + "'" + flag),
                     mentions, "report");
  expect_input_error(normcheck("fuzz --kernel rmsnorm.f32 --time 5" + flag), mentions, "fuzz");
}

TEST(CliTest, CheckWithNoCaseCheckedIsNotAPass) {
  const Outcome o = normcheck("check --kernel rmsnorm.f32 --time 1e-9");
  EXPECT_EQ(o.exit_code, 1) << o.out << o.err;
  EXPECT_NE(o.out.find("NO CASES"), std::string::npos) << o.out;
}

// The replay command printed with a finding reproduces it, with the budgets of the run,
// from a folder whose name needs quoting.
TEST(CliTest, PrintedReplayCommandReproducesTheFinding) {
  const fs::path failures = scratch_dir() / "saved failures 'here'";
  fs::remove_all(failures);
  const fs::path budgets = write_case("mutant_budgets.toml", "[kernel.\"mutant.layernorm.unbiased_variance\"]\nmax_score = 16\n");
  const Outcome check = normcheck("check --kernel mutant.layernorm.unbiased_variance --cases 100 --budgets '" +
                                  budgets.string() + "' --save-failures \"" + failures.string() + "\"");
  ASSERT_EQ(check.exit_code, 1) << check.out << check.err;
  // Run verbatim, as a user pastes it: it starts with the executable's real path.
  const auto at = check.out.find("\nreplay: ");
  ASSERT_NE(at, std::string::npos) << check.out;
  const auto start = at + std::string("\nreplay: ").size();
  const std::string line = check.out.substr(start, check.out.find('\n', start) - start);
  EXPECT_EQ(line.rfind(std::string(NORMCHECK_BINARY) + " replay ", 0), 0u) << line;
  EXPECT_NE(line.find("--budgets"), std::string::npos) << line;
  const Outcome replay = run_shell(line);
  // A mutant's case records "expect": "fail" (its bug must stay caught): still failing is
  // as recorded, exit 0.
  EXPECT_EQ(replay.exit_code, 0) << line << "\n" << replay.out << replay.err;
  EXPECT_NE(replay.out.find("still fails as recorded"), std::string::npos) << replay.out;
  fs::remove_all(failures);
}


// Backward kernels through `check`: a plugin's passes, a backward mutant is a finding
// whose printed replay command (budgets included) still fails as recorded.
TEST(CliTest, CheckRunsBackwardKernelsAndTheirFindingsReplay) {
  const Outcome plugin = normcheck(std::string("check --cases 100 --plugin '") + EXAMPLE_PLUGIN_PATH +
                                   "' --kernel example.layernorm_backward.f32");
  EXPECT_EQ(plugin.exit_code, 0) << plugin.out << plugin.err;
  EXPECT_NE(plugin.out.find("example.layernorm_backward.f32"), std::string::npos) << plugin.out;
  const fs::path failures = scratch_dir() / "backward failures";
  fs::remove_all(failures);
  const fs::path budgets =
      write_case("backward_budgets.toml", "[kernel.\"mutant.layernorm_backward.mean_g_twice\"]\nmax_score = 16\n");
  const Outcome check = normcheck("check --kernel mutant.layernorm_backward.mean_g_twice --cases 100 --max-findings 1 "
                                  "--budgets '" + budgets.string() + "' --save-failures '" + failures.string() + "'");
  ASSERT_EQ(check.exit_code, 1) << check.out << check.err;
  EXPECT_NE(check.out.find("FINDING mutant.layernorm_backward.mean_g_twice-"), std::string::npos) << check.out;
  const auto at = check.out.find("\nreplay: ");
  ASSERT_NE(at, std::string::npos) << check.out;
  const auto start = at + std::string("\nreplay: ").size();
  const std::string line = check.out.substr(start, check.out.find('\n', start) - start);
  EXPECT_NE(line.find("--budgets"), std::string::npos) << line;
  const Outcome replay = run_shell(line);
  EXPECT_EQ(replay.exit_code, 0) << line << "\n" << replay.out << replay.err;
  EXPECT_NE(replay.out.find("still fails as recorded"), std::string::npos) << replay.out;
  // The same case on the correct kernel passes: the finding is the mutant's bug.
  const Outcome correct = normcheck("replay '" + failures.string() + "' --kernel layernorm_backward.f32");
  EXPECT_EQ(correct.exit_code, 0) << correct.out << correct.err;
  EXPECT_NE(correct.out.find("on layernorm_backward.f32: passes"), std::string::npos) << correct.out;
  fs::remove_all(failures);
}


// Every bad value is one line on stderr that names the flag (or file) and says what is
// wrong; nothing runs and nothing goes to stdout.
void expect_one_line_error(const Outcome& o, const std::vector<std::string>& mentions, const std::string& what) {
  expect_input_error(o, mentions, what);
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << what << ": not one line:\n" << o.err;
  EXPECT_EQ(o.err.rfind("normcheck: ", 0), 0u) << what << ": " << o.err;
  EXPECT_TRUE(o.out.empty()) << what << ": ran anyway:\n" << o.out;
}

TEST(CliTest, EachBadValueIsOneLineNamingTheFlag) {
  const std::string out = " --out '" + (scratch_dir() / "report_out").string() + "'";
  const std::string fuzz = "fuzz --kernel rmsnorm.f32 --fuzzer-dir /nonexistent ";
  const std::string many_workers = std::to_string(std::max(1000u, 2 * std::thread::hardware_concurrency() + 300));
  const fs::path dir = scratch_dir() / "a_directory";
  fs::create_directories(dir);
  const struct {
    std::string args;
    std::vector<std::string> mentions;
  } bad[] = {
      {"check --cases 0", {"--cases", "from 1 to 1000000000", "\"0\""}},
      {"check --cases -3", {"--cases", "from 1 to 1000000000"}},
      {"check --cases 1000000001", {"--cases", "from 1 to 1000000000"}},
      {"check --cases 1e3", {"--cases", "\"1e3\""}},
      {"check --cases 5 --time 3", {"--cases", "--time"}},
      {"check --seed -1", {"--seed", "from 0 to 18446744073709551615", "\"-1\""}},
      {"check --seed 18446744073709551616", {"--seed", "from 0 to 18446744073709551615"}},
      {"check --seed 12abc", {"--seed", "\"12abc\""}},
      {"check --time 1e300", {"--time", "30 days"}},
      {"check --time nan", {"--time", "\"nan\""}},
      {"check --case-timeout-ms 0", {"--case-timeout-ms", "from 1 to 3600000"}},
      {"check --budgets /nonexistent/budgets.toml", {"--budgets", "/nonexistent/budgets.toml", "No such file"}},
      {"check --no-such-flag", {"--no-such-flag"}},
      {"replay " + seed("rmsnorm_f32_basic.json") + " --budgets '" + dir.string() + "'",
       {"--budgets", dir.string(), "is a directory"}},
      {"report" + out + " --threads " + many_workers, {"--threads", "from 1 to", "\"" + many_workers + "\""}},
      {"report" + out + " --threads 0", {"--threads", "from 1 to"}},
      {"report" + out + " --seed -5", {"--seed", "\"-5\""}},
      {"report --quick", {"--out", "required"}},
      {fuzz + "--time 5 --jobs " + many_workers, {"--jobs", "from 1 to"}},
      {fuzz + "--time 5 --jobs 0", {"--jobs", "from 1 to"}},
      {fuzz + "--time 1e9", {"--time", "30 days"}},
      {fuzz + "--time 0.4", {"--time", "from 1 to"}},
      {fuzz + "--time 5 --budgets /nonexistent/b.toml", {"--budgets", "/nonexistent/b.toml"}},
      {"check --json ''", {"--json", "expected a path"}},
      {"check --save-failures ''", {"--save-failures", "expected a path"}},
      {"check --plugin ''", {"--plugin", "expected a path"}},
      {"report --out ''", {"--out", "expected a path"}},
      {"frobnicate", {"unknown command \"frobnicate\"", "check"}},
      {"", {"no command given", "check"}},
      {"--version", {"unknown option \"--version\"", "check"}},
      {"oracle", {"CASE", "required"}},
  };
  for (const auto& b : bad) expect_one_line_error(normcheck(b.args), b.mentions, b.args);
}

// An output path the system refuses is refused before the run, with the system's reason.
// access(W_OK) says yes to /proc for root; only creating a file there tells.
TEST(CliTest, OutputPathsTheSystemRefusesFailBeforeTheRunWithTheReason) {
  const std::string quick = "check --kernel layernorm.f32.two_pass --cases 3 ";
  const struct {
    std::string args, flag, path;
  } bad[] = {
      {quick + "--json /proc/normcheck_x.json", "--json", "/proc/normcheck_x.json"},
      {quick + "--junit /proc/normcheck_x.xml", "--junit", "/proc/normcheck_x.xml"},
      {quick + "--save-failures /proc/normcheck_failures", "--save-failures", "/proc/normcheck_failures"},
      {"report --quick --kernel rmsnorm.f32 --out /proc/normcheck_report", "--out", "/proc/normcheck_report"},
  };
  for (const auto& b : bad) {
    const Outcome o = normcheck(b.args);
    expect_one_line_error(o, {b.flag, b.path}, b.args);
    // The reason follows the last ": ": a strerror text, never empty.
    const auto colon = o.err.rfind(": ");
    ASSERT_NE(colon, std::string::npos) << o.err;
    EXPECT_GT(o.err.size(), colon + 3) << b.args << ": no reason in " << o.err;
  }
  EXPECT_FALSE(fs::exists("/proc/normcheck_x.json"));
}

TEST(CliTest, HelpKeepsExclusionsInTheDescription) {
  const Outcome help = normcheck("check --help");
  ASSERT_EQ(help.exit_code, 0) << help.err;
  EXPECT_EQ(help.out.find("Excludes"), std::string::npos) << help.out;
  std::istringstream lines(help.out);
  bool found = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("  --cases ") != 0) continue;
    found = true;
    EXPECT_NE(line.find("cases per kernel"), std::string::npos) << "description not on the option's line: " << line;
    EXPECT_NE(line.find("(not with --time)"), std::string::npos) << line;
  }
  EXPECT_TRUE(found) << help.out;
}

// `normcheck fuzz` driven by a stand-in for a libFuzzer process: a shell script that prints
// status lines and keeps a child (what a kernel might start) in its process group. Like a
// fork-mode parent, which runs each job through system(), it ignores SIGINT; with
// ignore_term it also ignores SIGTERM, so only SIGKILL ends it.
struct FakeFuzzer {
  fs::path dir, fuzzer_dir, worker_pid_file;
};

FakeFuzzer write_fake_fuzzer(const std::string& name, bool ignore_term) {
  FakeFuzzer fake;
  fake.dir = scratch_dir() / name;
  fs::remove_all(fake.dir);
  fake.fuzzer_dir = fake.dir / "fuzzers";
  fs::create_directories(fake.fuzzer_dir);
  fake.worker_pid_file = fake.dir / "worker.pid";
  const fs::path script = fake.fuzzer_dir / "rmsnorm_fuzzer";
  std::ofstream(script) << "#!/bin/sh\n"
                        << (ignore_term ? "trap '' INT TERM\n" : "trap '' INT\n")
                        << "touch \"$NORMCHECK_FINDING_DIR/checked-$$\"\n"  // as a target that checked an input
                        << "sleep 300 &\n"
                        << "echo $! > '" << fake.worker_pid_file.string() << "'\n"
                        << "i=0\n"
                        << "while :; do i=$((i+1)); echo \"#$i pulse  cov: 5 ft: 6 corp: 2/10b exec/s: 10 rss: 30Mb\"; "
                           "sleep 0.2; done\n";
  fs::permissions(script, fs::perms::owner_all);
  return fake;
}

// A process that is gone or a zombie (its parent died and nobody reaped it yet).
bool process_alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return false;
  const auto paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() || text[paren + 2] != 'Z';
}

// A SIGKILL is delivered asynchronously: a killed process may still be listed, running,
// for a moment after the kill returns. Alive means alive two seconds later.
bool outlives(pid_t pid) {
  for (int i = 0; i < 200 && process_alive(pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return process_alive(pid);
}

struct RunningFuzz {
  pid_t pid = -1;
  fs::path out, err;
};

RunningFuzz start_fuzz(const FakeFuzzer& fake) {
  RunningFuzz run{-1, fake.dir / "out", fake.dir / "err"};
  const std::vector<std::string> args = {NORMCHECK_BINARY, "fuzz", "--kernel", "rmsnorm.f32", "--time", "120",
                                         "--fuzzer-dir", fake.fuzzer_dir.string(), "--work-dir",
                                         (fake.dir / "work").string(), "--corpus", (fake.dir / "corpus").string()};
  run.pid = ::fork();
  if (run.pid == 0) {
    const int out = ::open(run.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(run.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return run;
}

// Waits until the fake fuzzer's status lines reach normcheck's log (so its traps are set).
bool wait_until_fuzzing(const FakeFuzzer& fake) {
  for (int i = 0; i < 300; ++i) {
    std::error_code error;
    for (auto it = fs::directory_iterator(fake.dir / "work", error); !error && it != fs::directory_iterator();
         it.increment(error)) {
      if (slurp(it->path() / "fuzz.log").find("cov:") != std::string::npos && fs::exists(fake.worker_pid_file))
        return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// Seconds until pid exits (its wait status in status), or -1 after limit seconds.
double seconds_to_exit(pid_t pid, double limit, int& status) {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    if (::waitpid(pid, &status, WNOHANG) == pid)
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (std::chrono::steady_clock::now() - start > std::chrono::duration<double>(limit)) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

pid_t worker_pid(const FakeFuzzer& fake) { return static_cast<pid_t>(std::stol(slurp(fake.worker_pid_file))); }

// The first Ctrl-C stops the fuzzer's whole process group within seconds (it used to be
// forwarded as SIGINT, which a fork-mode parent ignores, and fuzzing went on to
// --time), then collects and prints the summary as for a finished run.
TEST(CliTest, FirstInterruptStopsFuzzWithinSecondsAndCollects) {
  const FakeFuzzer fake = write_fake_fuzzer("fuzz_first_interrupt", false);
  const RunningFuzz run = start_fuzz(fake);
  ASSERT_GT(run.pid, 0);
  ASSERT_TRUE(wait_until_fuzzing(fake)) << slurp(run.err);
  ASSERT_EQ(::kill(run.pid, SIGINT), 0);
  int status = 0;
  const double seconds = seconds_to_exit(run.pid, 60, status);
  if (seconds < 0) ::kill(run.pid, SIGKILL);
  ASSERT_GE(seconds, 0) << "still fuzzing 60 s after the interrupt\n" << slurp(run.err);
  EXPECT_LT(seconds, 15) << slurp(run.err);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << slurp(run.err);
  EXPECT_NE(slurp(run.err).find("collecting findings (interrupted"), std::string::npos) << slurp(run.err);
  EXPECT_NE(slurp(run.out).find("normcheck fuzz summary"), std::string::npos) << slurp(run.out);
  const pid_t worker = worker_pid(fake);
  EXPECT_FALSE(outlives(worker)) << "the fuzzer's worker outlived the run";
  ::kill(worker, SIGKILL);
}

// The fuzz command's folders are checked before the fuzzer starts, with the reason.
TEST(CliTest, FuzzOutputFoldersTheSystemRefusesFailBeforeFuzzing) {
  const FakeFuzzer fake = write_fake_fuzzer("fuzz_bad_folders", false);
  const std::string fuzz = "fuzz --kernel rmsnorm.f32 --time 5 --fuzzer-dir " + quoted(fake.fuzzer_dir);
  expect_one_line_error(normcheck(fuzz + " --corpus /proc/normcheck_corpus"), {"--corpus", "/proc/normcheck_corpus"},
                        "fuzz --corpus");
  expect_one_line_error(normcheck(fuzz + " --work-dir /proc/normcheck_work"), {"--work-dir", "/proc/normcheck_work"},
                        "fuzz --work-dir");
  EXPECT_FALSE(fs::exists(fake.worker_pid_file)) << "the fuzzer ran before the folders were checked";
}

// A second Ctrl-C does not wait for a fuzzer that ignores the first stop: the group is
// killed, nothing is collected, and normcheck dies of SIGINT as a shell expects.
TEST(CliTest, SecondInterruptStopsFuzzAtOnce) {
  const FakeFuzzer fake = write_fake_fuzzer("fuzz_second_interrupt", true);
  const RunningFuzz run = start_fuzz(fake);
  ASSERT_GT(run.pid, 0);
  ASSERT_TRUE(wait_until_fuzzing(fake)) << slurp(run.err);
  ASSERT_EQ(::kill(run.pid, SIGINT), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(::kill(run.pid, SIGINT), 0);
  int status = 0;
  const double seconds = seconds_to_exit(run.pid, 60, status);
  if (seconds < 0) ::kill(run.pid, SIGKILL);
  ASSERT_GE(seconds, 0) << slurp(run.err);
  EXPECT_LT(seconds, 10) << slurp(run.err);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) << status << "\n" << slurp(run.err);
  EXPECT_NE(slurp(run.err).find("stopped; findings not collected"), std::string::npos) << slurp(run.err);
  EXPECT_EQ(slurp(run.out).find("normcheck fuzz summary"), std::string::npos) << slurp(run.out);
  const pid_t worker = worker_pid(fake);
  EXPECT_FALSE(outlives(worker)) << "the fuzzer's worker outlived the run";
  ::kill(worker, SIGKILL);
}

// --- Input files are bounded before they are read; outputs are complete or absent ---

// Special and oversized inputs are one line and exit 2, at once: a FIFO is never opened
// (it would block until a writer came), /dev/zero never read, a 1 GiB file never parsed.
TEST(CliTest, SpecialAndOversizedInputFilesAreOneLineExitTwoAndNeverHang) {
  const fs::path dir = scratch_dir() / "special_inputs";
  fs::remove_all(dir);
  fs::create_directories(dir / "with_loop");
  const fs::path fifo = dir / "fifo.json";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  fs::create_symlink(dir / "loop_b.json", dir / "loop_a.json");
  fs::create_symlink(dir / "loop_a.json", dir / "loop_b.json");
  fs::create_symlink(dir / "loop_a.json", dir / "with_loop" / "case.json");
  // A good case followed by 1 GiB (sparse, so the test costs no disk): the size bound
  // refuses it without reading past the first MiB.
  const fs::path huge = dir / "huge.json";
  std::ofstream(huge) << kGood;
  fs::resize_file(huge, std::uintmax_t{1} << 30);
  const fs::path spaced = dir / "trailing_spaces.json";
  std::ofstream(spaced) << kGood << std::string((2 << 20), ' ');
  const fs::path big_budgets = dir / "big_budgets.toml";
  std::ofstream(big_budgets) << std::string((2 << 20), '#');
  const std::string loop_reason = std::strerror(ELOOP);
  const struct {
    std::string args;
    std::vector<std::string> mentions;
  } bad[] = {
      {"oracle " + quoted(fifo), {fifo.string(), "is a FIFO, expected a regular file"}},
      {"replay " + quoted(fifo), {fifo.string(), "is a FIFO"}},
      {"check --kernel rmsnorm.f32 --cases 2 --budgets " + quoted(fifo), {"--budgets", fifo.string(), "is a FIFO"}},
      {"replay " + seed("rmsnorm_f32_basic.json") + " --budgets " + quoted(fifo), {"--budgets", "is a FIFO"}},
      {"oracle /dev/zero", {"/dev/zero", "is a character device"}},
      {"replay /dev/zero", {"/dev/zero", "is a character device"}},
      {"check --kernel rmsnorm.f32 --cases 2 --budgets /dev/zero", {"--budgets", "/dev/zero"}},
      {"oracle " + quoted(huge), {huge.string(), "1073741824 bytes, more than a case of rows = 1 and n = 3 can need"}},
      {"replay " + quoted(spaced), {spaced.string(), "more than a case of rows = 1 and n = 3 can need"}},
      {"check --kernel rmsnorm.f32 --cases 2 --budgets " + quoted(big_budgets),
       {big_budgets.string(), "more than a budget file may hold"}},
      {"replay " + quoted(dir / "loop_a.json"), {(dir / "loop_a.json").string(), loop_reason}},
      {"oracle " + quoted(dir / "loop_a.json"), {(dir / "loop_a.json").string(), loop_reason}},
      {"replay " + quoted(dir / "with_loop"), {"case.json", loop_reason}},
  };
  for (const auto& b : bad) {
    const auto start = std::chrono::steady_clock::now();
    const Outcome o = normcheck(b.args);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20)) << b.args;
    expect_one_line_error(o, b.mentions, b.args);
    EXPECT_EQ(o.err.find("internal error"), std::string::npos) << b.args << ": " << o.err;
  }
  fs::remove_all(dir);
}

TEST(CliTest, JsonAndJunitToStandardOutputAreCleanDocuments) {
  const std::string quick = "check --kernel layernorm.f32.two_pass --cases 5 ";
  const Outcome json = normcheck(quick + "--json -");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  // Standard output is the document and nothing else (it parses whole); the table went
  // to stderr; no file named "-" was made.
  const nlohmann::json parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed.at("kernels").size(), 1u);
  EXPECT_NE(json.err.find("all within budget"), std::string::npos) << json.err;
  EXPECT_FALSE(fs::exists("-"));
  const Outcome junit = normcheck(quick + "--junit - --json " + quoted(scratch_dir() / "beside.json"));
  ASSERT_EQ(junit.exit_code, 0) << junit.err;
  EXPECT_EQ(junit.out.rfind("<?xml", 0), 0u) << junit.out;
  EXPECT_EQ(junit.out.find("kernel "), std::string::npos) << "the table is on stdout:\n" << junit.out;
  EXPECT_TRUE(nlohmann::json::accept(slurp(scratch_dir() / "beside.json")));
}

// Kernels checked at once give the report one thread gives: each kernel's stream depends on
// the seed alone, findings included, and the report keeps the order of --kernel.
TEST(CliTest, CheckResultsDoNotDependOnThreads) {
  const std::string kernels =
      "check --kernel mutant.layernorm.unbiased_variance --kernel layernorm.f32.two_pass --kernel rmsnorm.bf16 "
      "--cases 40 --json - --threads ";
  const Outcome one = normcheck(kernels + "1");
  const Outcome two = normcheck(kernels + "2");
  ASSERT_EQ(one.exit_code, 1) << one.err;
  ASSERT_EQ(two.exit_code, 1) << two.err;
  // A sanitizer build checks one kernel at a time (harness/sanitized_build.hpp).
  const unsigned threads = kSanitizedBuild ? 1 : 2;
  EXPECT_NE(one.err.find("on 1 thread ("), std::string::npos) << one.err;
  EXPECT_NE(two.err.find(fmt::format("on {} thread", threads)), std::string::npos) << two.err;
  nlohmann::json a = nlohmann::json::parse(one.out);
  nlohmann::json b = nlohmann::json::parse(two.out);
  EXPECT_EQ(a.at("threads"), 1);
  EXPECT_EQ(b.at("threads"), threads);
  // Timings and the directory of saved cases differ from run to run; nothing else may.
  for (auto* report : {&a, &b}) {
    report->erase("seconds");
    report->erase("threads");
    for (auto& k : report->at("kernels")) {
      k.erase("seconds");
      for (auto& f : k.at("findings")) {
        for (const char* key : {"seconds_to_detect", "seconds_to_shrink", "case_file", "replay"}) f.erase(key);
      }
    }
  }
  EXPECT_EQ(a, b);
  EXPECT_EQ(normcheck("check --threads 0").exit_code, 2);
}

TEST(CliTest, JsonAndJunitNamingOneFileAreRefusedBeforeTheRun) {
  const fs::path file = scratch_dir() / "both.out";
  const fs::path link = scratch_dir() / "both_link.out";
  std::ofstream(file) << "keep me";
  fs::remove(link);
  fs::create_symlink(file, link);
  const std::string quick = "check --kernel layernorm.f32.two_pass --cases 3 ";
  for (const std::string& pair : {"--json " + quoted(file) + " --junit " + quoted(file),
                                  "--json " + quoted(file) + " --junit " + quoted(file.parent_path() / "." / "both.out"),
                                  "--json " + quoted(link) + " --junit " + quoted(file), std::string("--json - --junit -")}) {
    expect_one_line_error(normcheck(quick + pair), {"--json", "--junit", "name the same file"}, pair);
  }
  EXPECT_EQ(slurp(file), "keep me");
}

// Outputs are renamed into place: what is there must be a regular file, never a device.
TEST(CliTest, AnOutputThatIsNotARegularFileIsRefusedBeforeTheRun) {
  const std::string quick = "check --kernel layernorm.f32.two_pass --cases 3 ";
  expect_one_line_error(normcheck(quick + "--json /dev/full"), {"--json", "/dev/full", "not a regular file"}, "/dev/full");
  expect_one_line_error(normcheck(quick + "--junit /dev/null"), {"--junit", "/dev/null", "not a regular file"}, "/dev/null");
  struct stat st {};
  ASSERT_EQ(::stat("/dev/full", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST(CliTest, ACaseTimeoutWithoutIsolationIsRefused) {
  const std::string out = " --out " + quoted(scratch_dir() / "no_isolate_report");
  for (const std::string& command : {std::string("check --kernel rmsnorm.f32 --cases 2"),
                                     "replay " + seed("rmsnorm_f32_basic.json"), "report --quick" + out}) {
    const std::string args = command + " --no-isolate --case-timeout-ms 50";
    expect_one_line_error(normcheck(args), {"--no-isolate", "--case-timeout-ms"}, args);
  }
  EXPECT_EQ(normcheck("check --kernel rmsnorm.f32 --cases 2 --no-isolate").exit_code, 0);
}

// No --save-failures and no usable temporary directory: said before the run, and every
// finding still printed with its case (the gate's verdict stands: exit 1, not 3).
TEST(CliTest, AnUnusableTmpdirIsSaidUpFrontAndFindingsArePrintedInline) {
  const Outcome o = run_shell("env TMPDIR=/nonexistent/normcheck_tmp '" + std::string(NORMCHECK_BINARY) +
                              "' check --kernel mutant.layernorm.one_pass_variance --cases 300");
  EXPECT_EQ(o.exit_code, 1) << o.out << o.err;
  EXPECT_EQ(o.err.rfind("normcheck: note: no directory for the cases of findings", 0), 0u) << o.err;
  EXPECT_NE(o.out.find("FINDING mutant.layernorm.one_pass_variance"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("case not saved"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("\"op\": \"layernorm\""), std::string::npos) << "no case inline:\n" << o.out;
  EXPECT_EQ(o.err.find("internal error"), std::string::npos) << o.err;
}

// A small tmpfs (root only; the test is skipped where mounting is not allowed) that the
// test fills, so that the next write meets a full disk.
class FullDisk {
 public:
  explicit FullDisk(const std::string& name, const char* size) : dir_(scratch_dir() / name) {
    fs::create_directories(dir_);
    mounted_ = ::mount("tmpfs", dir_.c_str(), "tmpfs", 0, size) == 0;
    if (!mounted_) why_ = std::strerror(errno);
  }
  ~FullDisk() {
    if (mounted_) ::umount(dir_.c_str());
  }
  bool mounted() const { return mounted_; }
  const std::string& why() const { return why_; }
  const fs::path& dir() const { return dir_; }
  // Fills what is left but `keep` bytes.
  void fill(std::uintmax_t keep = 0) const {
    const auto space = fs::space(dir_);
    std::ofstream(dir_ / "filler", std::ios::binary)
        << std::string(space.available > keep ? space.available - keep : 0, 'f');
  }

 private:
  fs::path dir_;
  bool mounted_ = false;
  std::string why_;
};

// A full disk: exit 2 after the summary with the path and the reason; the previous file
// is as it was and no empty or truncated file is left.
TEST(CliTest, AFullDiskIsExitTwoAfterTheSummaryAndLosesNothing) {
  const FullDisk disk("full_disk_check", "size=64k");
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a small tmpfs: " << disk.why();
  const fs::path json = disk.dir() / "out.json";
  std::ofstream(json) << "previous";
  disk.fill();
  const Outcome o = normcheck("check --kernel layernorm.f32.two_pass --cases 20 --json " + quoted(json));
  EXPECT_EQ(o.exit_code, 2) << o.out << o.err;
  EXPECT_NE(o.out.find("all within budget"), std::string::npos) << "no summary:\n" << o.out;
  EXPECT_NE(o.err.find("--json " + json.string() + ": cannot write: " + std::strerror(ENOSPC)), std::string::npos)
      << o.err;
  EXPECT_EQ(slurp(json), "previous");

  const fs::path cases = disk.dir() / "cases";
  const Outcome saved = normcheck("check --kernel mutant.layernorm.one_pass_variance --cases 300 --save-failures " +
                                  quoted(cases));
  EXPECT_EQ(saved.exit_code, 2) << saved.out << saved.err;
  EXPECT_NE(saved.out.find("FINDING"), std::string::npos) << saved.out;
  EXPECT_NE(saved.err.find("not saved"), std::string::npos) << saved.err;
  EXPECT_NE(saved.err.find(std::strerror(ENOSPC)), std::string::npos) << saved.err;
  for (const auto& entry : fs::directory_iterator(cases)) ADD_FAILURE() << "left " << entry.path();
}

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// One report, whole: its files and nothing else, the cases report.json lists and no
// other, every file complete. Returns its kernels' names ("" when not a whole report).
std::string whole_report_kernels(const fs::path& out) {
  std::string kernels;
  try {
    if (entries(out) != std::vector<std::string>{"cases", "index.html", "report.json", "report.md"}) return "";
    const nlohmann::json json = nlohmann::json::parse(slurp(out / "report.json"));
    std::vector<std::string> listed;
    for (const auto& k : json.at("kernels")) {
      kernels += k.at("name").get<std::string>() + " ";
      for (const auto& w : k.at("worst_cases")) listed.push_back(fs::path(w.at("file").get<std::string>()).filename());
    }
    std::sort(listed.begin(), listed.end());
    if (entries(out / "cases") != listed) return "";
    for (const auto& name : listed) (void)read_case_file(out / "cases" / name);
    const std::string html = slurp(out / "index.html"), markdown = slurp(out / "report.md");
    if (html.find("</html>") == std::string::npos) return "";
    for (const auto& k : json.at("kernels")) {
      const std::string name = k.at("name");
      if (html.find(name) == std::string::npos || markdown.find(name) == std::string::npos) return "";
    }
  } catch (const std::exception&) {
    return "";
  }
  return kernels;
}

TEST(CliTest, AFullDiskLeavesThePreviousReportWhole) {
  const FullDisk disk("full_disk_report", "size=4m");
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a small tmpfs: " << disk.why();
  const fs::path out = disk.dir() / "report";
  ASSERT_EQ(normcheck("report --quick --kernel rmsnorm.f32 --out " + quoted(out)).exit_code, 0);
  ASSERT_EQ(whole_report_kernels(out), "rmsnorm.f32 ");
  disk.fill(100 * 1024);  // room for the cases and report.md, not for index.html
  const Outcome o = normcheck("report --quick --kernel layernorm.f32.two_pass --out " + quoted(out));
  EXPECT_EQ(o.exit_code, 2) << o.out << o.err;
  EXPECT_NE(o.err.find(std::strerror(ENOSPC)), std::string::npos) << o.err;
  EXPECT_EQ(whole_report_kernels(out), "rmsnorm.f32 ") << "the previous report was damaged";
  EXPECT_EQ(entries(disk.dir()), (std::vector<std::string>{"filler", "report"})) << "a staging directory was left";
}

// The CLI contract's exit codes hold for report as for check: 1 with findings, and the
// report written all the same (the main job reads it).
TEST(CliTest, ReportExitsOneOnFindingsWithTheReportWritten) {
  const fs::path out = scratch_dir() / "report-with-findings";
  fs::remove_all(out);
  const Outcome o = normcheck("report --quick --kernel mutant.layernorm.one_pass_variance --out " + quoted(out));
  EXPECT_EQ(o.exit_code, 1) << o.out << o.err;
  EXPECT_NE(o.out.find("1 with findings"), std::string::npos) << o.out;
  EXPECT_EQ(whole_report_kernels(out), "mutant.layernorm.one_pass_variance ") << o.out << o.err;
}

pid_t spawn_normcheck(const std::vector<std::string>& args) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    std::vector<char*> argv{const_cast<char*>(NORMCHECK_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// kill -9 at moments spread over a whole run, the write included: the report directory
// is always one whole report, the old or the new, never a mix of the two.
TEST(CliTest, AKilledReportLeavesTheOldReportOrTheNewOneNeverAMix) {
  const fs::path out = scratch_dir() / "killed_report";
  fs::remove_all(out);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(normcheck("report --quick --kernel rmsnorm.f32 --out " + quoted(out)).exit_code, 0);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  constexpr int kKills = 16;
  for (int i = 0; i < kKills; ++i) {
    const std::string kernel = i % 2 == 0 ? "layernorm.f32.two_pass" : "rmsnorm.f32";
    const pid_t pid = spawn_normcheck({"report", "--quick", "--kernel", kernel, "--seed", std::to_string(i + 2), "--out",
                                       out.string()});
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds * 1.3 * (i + 0.5) / kKills));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    const std::string kernels = whole_report_kernels(out);
    EXPECT_TRUE(kernels == "rmsnorm.f32 " || kernels == "layernorm.f32.two_pass ")
        << "kill " << i << " left a damaged or mixed report: " << testing::PrintToString(entries(out));
  }
  // A kill during the write leaves the staging directory beside the report: how many
  // kills landed there (timing decides; the check above holds for every one).
  int during_write = 0;
  for (const auto& entry : fs::directory_iterator(scratch_dir())) {
    if (entry.path().filename().string().rfind(".killed_report.normcheck-", 0) != 0) continue;
    ++during_write;
    fs::remove_all(entry.path());
  }
  std::printf("%d of %d kills landed while the report was being written\n", during_write, kKills);
}

TEST(CliTest, TwoConcurrentReportsIntoOneDirectoryDoNotMix) {
  const fs::path out = scratch_dir() / "concurrent_report";
  fs::remove_all(out);
  const pid_t a = spawn_normcheck({"report", "--quick", "--kernel", "rmsnorm.f32", "--out", out.string()});
  const pid_t b = spawn_normcheck({"report", "--quick", "--kernel", "layernorm.f32.two_pass", "--out", out.string()});
  int status_a = 0, status_b = 0;
  ::waitpid(a, &status_a, 0);
  ::waitpid(b, &status_b, 0);
  EXPECT_TRUE(WIFEXITED(status_a) && WEXITSTATUS(status_a) == 0) << status_a;
  EXPECT_TRUE(WIFEXITED(status_b) && WEXITSTATUS(status_b) == 0) << status_b;
  const std::string kernels = whole_report_kernels(out);
  EXPECT_TRUE(kernels == "rmsnorm.f32 " || kernels == "layernorm.f32.two_pass ") << kernels;
  for (const auto& entry : fs::directory_iterator(scratch_dir()))
    EXPECT_EQ(entry.path().filename().string().rfind(".concurrent_report.", 0), std::string::npos) << entry.path();
}

// The report replaces --out whole: a directory with anything else in it is refused.
TEST(CliTest, AReportNeverReplacesADirectoryThatIsNotAReport) {
  const fs::path dir = scratch_dir() / "not_a_report";
  fs::create_directories(dir);
  std::ofstream(dir / "README") << "mine";
  expect_one_line_error(normcheck("report --quick --kernel rmsnorm.f32 --out " + quoted(dir)),
                        {"--out", dir.string(), "\"README\"", "not part of a report"}, "non-report --out");
  EXPECT_EQ(slurp(dir / "README"), "mine");
}

}  // namespace
}  // namespace normcheck::harness
