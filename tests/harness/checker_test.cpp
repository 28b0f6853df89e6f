// The checking engine: deterministic for a seed, findings minimized and saved, crashes
// and hangs isolated, and the JUnit / JSON reports well formed.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <unistd.h>
#include <nlohmann/json.hpp>
#include <vector>

#include "harness/case.hpp"
#include "harness/check_output.hpp"
#include "harness/checker.hpp"
#include "impls/plugin_loader.hpp"
#include "properties/case_source.hpp"
#include "tests/support/test_kernels.hpp"

namespace normcheck::harness {
namespace {

std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("normcheck-checker-test-" + name);
  std::filesystem::remove_all(dir);
  return dir;
}

CheckOptions quick(const std::string& name, std::int64_t cases = 60) {
  CheckOptions options;
  options.cases = cases;
  options.seed = 11;
  options.failures_dir = fresh_dir(name);
  // The default timeout: a timeout depends on the machine's load, and a sanitizer build
  // runs the stream's large cases several times slower, so a shorter one makes results
  // (cases, outputs, findings) depend on the machine. Tests of timeouts set their own.
  return options;
}

TEST(Checker, SameSeedSameCasesSameResult) {
  const std::vector<impls::KernelInfo> kernels{testing::oracle_kernel(), testing::wrong_for_wide_rows()};
  const auto source = props::make_case_source();
  const auto a = run_check(kernels, BudgetTable{}, source, quick("seed-a"));
  const auto b = run_check(kernels, BudgetTable{}, source, quick("seed-b"));
  ASSERT_EQ(a.kernels.size(), 2u);
  for (std::size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(a.kernels[k].cases, b.kernels[k].cases);
    EXPECT_EQ(a.kernels[k].outputs, b.kernels[k].outputs);
    EXPECT_EQ(a.kernels[k].max_score, b.kernels[k].max_score);
    ASSERT_EQ(a.kernels[k].findings.size(), b.kernels[k].findings.size());
  }
  ASSERT_GE(a.kernels[1].findings.size(), 1u);
  for (std::size_t i = 0; i < a.kernels[1].findings.size(); ++i) {
    EXPECT_EQ(a.kernels[1].findings[i].signature, b.kernels[1].findings[i].signature);
    EXPECT_EQ(read_case_file(a.kernels[1].findings[i].case_file).problem.x,
              read_case_file(b.kernels[1].findings[i].case_file).problem.x);
  }
  auto other = quick("seed-c");
  other.seed = 12;
  const auto c = run_check({testing::oracle_kernel()}, BudgetTable{}, source, other);
  EXPECT_NE(c.kernels[0].outputs, a.kernels[0].outputs) << "another seed, another stream";
}

TEST(Checker, FindingIsMinimizedSavedAndReplayable) {
  auto options = quick("finding");
  options.case_timeout = std::chrono::milliseconds(30000);
  const auto report =
      run_check({testing::wrong_for_wide_rows()}, BudgetTable{}, props::make_case_source(), options);
  ASSERT_FALSE(report.passed());
  const Finding& f = report.kernels[0].findings.at(0);
  std::printf("%s: %lld -> %lld elements, %d shrink evaluations\n", f.signature.c_str(),
              static_cast<long long>(f.original.rows * f.original.n),
              static_cast<long long>(f.minimized.rows * f.minimized.n), f.shrink_evaluations);
  // The kernel is wrong exactly when n >= 5: the minimal case is one row of five.
  EXPECT_EQ(f.minimized.rows, 1);
  EXPECT_EQ(f.minimized.n, 5);
  const Case saved = read_case_file(f.case_file);
  EXPECT_EQ(saved.kernel, "test.wrong_wide");
  EXPECT_EQ(saved.expect, Verdict::pass);  // a kernel under test: the case must pass once the bug is fixed
  EXPECT_NE(saved.note.find(f.signature), std::string::npos);
  // The run's non-default case timeout is repeated so that the replay judges alike.
  EXPECT_EQ(f.replay,
            "normcheck replay " + f.case_file.string() + " --kernel test.wrong_wide --case-timeout-ms 30000");
}

TEST(Checker, DefaultFailuresDirectoryIsPrivateAndUnpredictable) {
  auto options = quick("unused");
  options.failures_dir.clear();
  const auto report = run_check({testing::wrong_for_wide_rows()}, BudgetTable{}, props::make_case_source(), options);
  ASSERT_GE(report.kernels.at(0).findings.size(), 1u);
  const auto dir = report.kernels[0].findings[0].case_file.parent_path();
  EXPECT_EQ(dir.filename().string().rfind("normcheck-failures-", 0), 0u) << dir;
  EXPECT_NE(dir.filename().string(), "normcheck-failures-" + std::to_string(::getpid())) << "predictable name";
  const auto perms = std::filesystem::status(dir).permissions();
  EXPECT_EQ(perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
            std::filesystem::perms::none);
  std::filesystem::remove_all(dir);
}

TEST(Checker, ReplayCommandRepeatsPluginBudgetsAndTimeoutAndQuotesPaths) {
  const ReplayLine line{"/tmp/my cases/it's.json", "plug.kernel", "/opt/libplug.so", "budgets dir/b.toml",
                        std::chrono::milliseconds(250), {}, {}};
  EXPECT_EQ(replay_command(line),
            "normcheck replay '/tmp/my cases/it'\\''s.json' --kernel plug.kernel --plugin /opt/libplug.so "
            "--budgets 'budgets dir/b.toml' --case-timeout-ms 250");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("a$b"), "'a$b'");
}

// A kernel of which no case was checked has shown nothing: not a pass.
TEST(Checker, KernelWithNoCaseCheckedIsNotAPass) {
  const auto report = run_check({testing::unsupported_kernel(), testing::oracle_kernel()}, BudgetTable{},
                                props::make_case_source(), quick("no-cases", 10));
  ASSERT_EQ(report.kernels.size(), 2u);
  EXPECT_EQ(report.kernels[0].cases, 0);
  EXPECT_EQ(report.kernels[0].skipped, 10);
  EXPECT_TRUE(report.kernels[0].checked_nothing());
  EXPECT_FALSE(report.kernels[0].passed());
  EXPECT_TRUE(report.kernels[1].passed());
  EXPECT_FALSE(report.passed());
  EXPECT_NE(format_summary_table(report).find("NO CASES"), std::string::npos) << format_summary_table(report);
  const auto json = nlohmann::json::parse(report_json(report));
  EXPECT_EQ(json.at("kernels").at(0).at("verdict"), "no cases");
  EXPECT_NE(junit_xml(report).find("failures=\"1\""), std::string::npos);

  auto timed = quick("no-time", 10);
  timed.time_seconds = 1e-9;  // over before the first case
  EXPECT_FALSE(run_check({testing::oracle_kernel()}, BudgetTable{}, props::make_case_source(), timed).passed());
}

TEST(Checker, CrashAndHangAreFindingsAndTheRunGoesOn) {
  const std::vector<impls::KernelInfo> kernels{testing::crashing_kernel(), testing::hanging_kernel(),
                                               testing::oracle_kernel()};
  auto options = quick("isolation", 30);
  options.case_timeout = std::chrono::milliseconds(200);
  const auto report = run_check(kernels, BudgetTable{}, props::make_case_source(), options);
  ASSERT_EQ(report.kernels.size(), 3u);
  ASSERT_EQ(report.kernels[0].findings.size(), 1u);
  EXPECT_EQ(report.kernels[0].findings[0].klass, ViolationClass::crash);
  EXPECT_EQ(report.kernels[0].findings[0].minimized.rows * report.kernels[0].findings[0].minimized.n, 1)
      << "a crash on every input shrinks to one element";
  EXPECT_TRUE(std::filesystem::exists(report.kernels[0].findings[0].case_file));
  ASSERT_EQ(report.kernels[1].findings.size(), 1u);
  EXPECT_EQ(report.kernels[1].findings[0].klass, ViolationClass::timeout);
  EXPECT_TRUE(std::filesystem::exists(report.kernels[1].findings[0].case_file));
  EXPECT_TRUE(report.kernels[2].passed());
  EXPECT_EQ(report.kernels[2].cases + report.kernels[2].skipped, 30);
}

// A small XML well-formedness check: tags nest and close, attributes are quoted.
bool well_formed_xml(const std::string& xml) {
  std::vector<std::string> open;
  for (std::size_t i = xml.find('<'); i != std::string::npos; i = xml.find('<', i + 1)) {
    const auto end = xml.find('>', i);
    if (end == std::string::npos) return false;
    const std::string tag = xml.substr(i + 1, end - i - 1);
    if (tag.empty() || tag[0] == '?') continue;
    if (tag[0] == '/') {
      if (open.empty() || open.back() != tag.substr(1)) return false;
      open.pop_back();
    } else if (tag.back() != '/') {
      open.push_back(tag.substr(0, tag.find_first_of(" \n")));
    }
    if (std::count(tag.begin(), tag.end(), '"') % 2 != 0) return false;
  }
  return open.empty();
}

TEST(CheckOutput, JUnitAndJsonAreWellFormed) {
  const auto report = run_check({testing::oracle_kernel(), testing::wrong_for_wide_rows()}, BudgetTable{},
                                props::make_case_source(), quick("reports", 40));
  const std::string xml = junit_xml(report);
  EXPECT_TRUE(well_formed_xml(xml)) << xml;
  EXPECT_NE(xml.find("tests=\"2\" failures=\"1\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<testcase classname=\"normcheck.check\" name=\"test.oracle\""), std::string::npos);
  EXPECT_NE(xml.find("<failure type=\"score\""), std::string::npos) << xml;

  const auto json = nlohmann::json::parse(report_json(report));
  EXPECT_EQ(json["seed"], 11);
  EXPECT_EQ(json["passed"], false);
  ASSERT_EQ(json["kernels"].size(), 2u);
  EXPECT_EQ(json["kernels"][0]["verdict"], "pass");
  EXPECT_EQ(json["kernels"][1]["verdict"], "fail");
  const auto& finding = json["kernels"][1]["findings"][0];
  EXPECT_EQ(finding["case"]["kernel"], "test.wrong_wide");
  EXPECT_EQ(finding["case"]["n"], 5);
  EXPECT_NE(finding["replay"].get<std::string>().find("normcheck replay"), std::string::npos);

  const std::string table = format_summary_table(report);
  EXPECT_NE(table.find("test.oracle"), std::string::npos);
  EXPECT_NE(table.find("FAIL ("), std::string::npos) << table;
}

// A bias finding is a statistic over the run: figures as its message, a representative row
// inline without "expect", no case file, and the check command that reproduces it. Every
// kernel's JSON carries its bias figures, and an f32-output kernel's are not applicable.
TEST(Checker, BiasFindingIsReproducedByItsCheckCommand) {
  const auto& all = impls::builtin_kernels();
  const std::vector<impls::KernelInfo> kernels{*impls::find_kernel(all, "layernorm.bf16.f32_params"),
                                               *impls::find_kernel(all, "mutant.rmsnorm.bf16_output_truncated"),
                                               *impls::find_kernel(all, "layernorm.f32.two_pass")};
  const auto options = quick("bias", 300);
  const auto report = run_check(kernels, BudgetTable{}, props::make_case_source(), options);
  ASSERT_EQ(report.kernels.size(), 3u);
  EXPECT_TRUE(report.kernels[0].passed());
  EXPECT_TRUE(report.kernels[2].passed());
  ASSERT_EQ(report.kernels[1].findings.size(), 1u);
  const Finding& f = report.kernels[1].findings[0];
  EXPECT_EQ(f.klass, ViolationClass::bias);
  EXPECT_EQ(f.signature, "mutant.rmsnorm.bf16_output_truncated-bias");
  EXPECT_NE(f.message.find("toward zero"), std::string::npos) << f.message;
  EXPECT_TRUE(f.case_file.empty());
  EXPECT_NE(f.replay.find(" check --kernel mutant.rmsnorm.bf16_output_truncated --seed 11 --cases 300"),
            std::string::npos)
      << f.replay;
  EXPECT_EQ(f.minimized.rows, 1);
  EXPECT_EQ(f.saved_case.expect, std::nullopt);
  EXPECT_EQ(f.saved_case.problem.x, f.minimized.x);

  const std::string findings = format_findings(report);
  EXPECT_NE(findings.find("reproduce (the whole check run): "), std::string::npos) << findings;
  EXPECT_NE(format_summary_table(report).find("FAIL (bias)"), std::string::npos);
  EXPECT_NE(junit_xml(report).find("<failure type=\"bias\""), std::string::npos);

  const auto json = nlohmann::json::parse(report_json(report));
  for (const auto& k : json["kernels"]) ASSERT_TRUE(k.contains("bias")) << k["kernel"];
  const auto& correct = json["kernels"][0]["bias"];
  EXPECT_TRUE(correct["applicable"].get<bool>());
  EXPECT_FALSE(correct["finding"].get<bool>());
  ASSERT_EQ(correct["tests"].size(), 5u);
  EXPECT_LT(correct["tests"][2]["statistic"].get<double>(), correct["tests"][2]["critical"].get<double>());
  EXPECT_TRUE(json["kernels"][1]["bias"]["finding"].get<bool>());
  EXPECT_TRUE(json["kernels"][1]["findings"][0]["case_file"].is_null());
  EXPECT_FALSE(json["kernels"][2]["bias"]["applicable"].get<bool>());
}

}  // namespace
}  // namespace normcheck::harness
