// Tests of the normcheck binary: exit codes and messages for bad input, oracle output for
// every seed, and the kernel list.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

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

Outcome normcheck(const std::string& args) {
  const fs::path dir = scratch_dir();
  const std::string command = std::string("'") + NORMCHECK_BINARY + "' " + args + " >'" +
                              (dir / "out").string() + "' 2>'" + (dir / "err").string() + "'";
  const int status = std::system(command.c_str());
  Outcome outcome;
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  outcome.out = slurp(dir / "out");
  outcome.err = slurp(dir / "err");
  return outcome;
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
  // x = (1, -0.1875, 0.25) in f16: the outputs must be f16 values written exactly.
  const Outcome o = normcheck("oracle '" + (source_dir() / "corpus/seeds/layernorm_f16_basic.json").string() + "'");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const auto got = nlohmann::json::parse(o.out);
  for (const auto& y : got.at("y")) {
    const double value = std::strtod(y.get<std::string>().c_str(), nullptr);
    EXPECT_TRUE(ref::is_representable(ref::Format::f16, value)) << y;
  }
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

}  // namespace
}  // namespace normcheck::harness
