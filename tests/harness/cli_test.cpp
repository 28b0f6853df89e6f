// Tests of the normcheck binary: exit codes and messages for bad input, oracle output for
// every seed, and the kernel list.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness/case.hpp"
#include "impls/abi_names.hpp"
#include "impls/registry.hpp"
#include "reference/oracle.hpp"

namespace normcheck::harness {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  int exit_code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

fs::path scratch_dir() {
  const fs::path dir = fs::temp_directory_path() / ("normcheck_cli_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

// Runs a shell command line (stdout and stderr captured). `timeout` turns a hang into a
// failed expectation (exit 124) instead of a stuck test.
Outcome run_shell(const std::string& command_line) {
  const fs::path dir = scratch_dir();
  const std::string command = "timeout 120 " + command_line + " >'" +
                              (dir / "out").string() + "' 2>'" + (dir / "err").string() + "'";
  const int status = std::system(command.c_str());
  Outcome outcome;
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  outcome.out = slurp(dir / "out");
  outcome.err = slurp(dir / "err");
  return outcome;
}

Outcome normcheck(const std::string& args) {
  std::string command = "'";
  command += NORMCHECK_BINARY;
  command += "' ";
  command += args;
  return run_shell(command);
}

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

TEST(CliTest, ListShowsEveryBuiltinOnItsOwnLine) {
  const Outcome o = normcheck("list");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  std::istringstream lines(o.out);
  std::vector<std::string> listed;
  for (std::string line; std::getline(lines, line);) listed.push_back(line);
  const auto& builtins = impls::builtin_kernels();
  ASSERT_EQ(listed.size(), builtins.size());
  for (std::size_t i = 0; i < builtins.size(); ++i) {
    EXPECT_EQ(listed[i], impls::describe_kernel(builtins[i]));
    EXPECT_NE(listed[i].find(builtins[i].kernel->name), std::string::npos);
  }
  const Outcome bad_plugin = normcheck("list --plugin /nonexistent/libplugin.so");
  EXPECT_EQ(bad_plugin.exit_code, 2);
  EXPECT_NE(bad_plugin.err.find("/nonexistent/libplugin.so"), std::string::npos) << bad_plugin.err;
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
  const auto at = check.out.find("\nreplay: normcheck ");
  ASSERT_NE(at, std::string::npos) << check.out;
  const auto start = at + std::string("\nreplay: normcheck ").size();
  const std::string args = check.out.substr(start, check.out.find('\n', start) - start);
  EXPECT_NE(args.find("--budgets"), std::string::npos) << args;
  const Outcome replay = normcheck(args);
  EXPECT_EQ(replay.exit_code, 1) << args << "\n" << replay.out << replay.err;
  EXPECT_NE(replay.out.find("FAIL"), std::string::npos) << replay.out;
  fs::remove_all(failures);
}

}  // namespace
}  // namespace normcheck::harness
