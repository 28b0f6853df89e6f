// End to end: a --quick report of a correct kernel and three mutants (a cancellation, an
// overflow with its safe domain, a rounding bias). Checks the model's
// content and determinism across thread counts, that the saved worst cases replay to
// their recorded verdicts, that report.json validates against docs/report.schema.json
// (Ajv) and that index.html renders offline in headless Chromium with non-blank charts.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <fmt/format.h>

#include "harness/backward_evaluate.hpp"
#include "harness/case.hpp"
#include "harness/evaluate.hpp"
#include "report/backward_section.hpp"
#include "report/render.hpp"
#include "report/run_report.hpp"
#include "report/tasks.hpp"
#include "impls/plugin_loader.hpp"

namespace normcheck::harness::report {
namespace {

namespace fs = std::filesystem;
constexpr const char* kCorrect = "layernorm.f32.two_pass";
constexpr const char* kMutant = "mutant.layernorm.one_pass_variance";
// fp32 x^2 summed unscaled: the magnitude sweep's top binades overflow (a safe domain).
constexpr const char* kOverflowing = "mutant.rmsnorm.sum_squares_overflow";
// bf16 outputs truncated: within the ULP budget, leaning toward zero (bias figures).
constexpr const char* kTruncating = "mutant.rmsnorm.bf16_output_truncated";
// The backward section: a correct backward kernel and a dgamma / dbeta reduction bug.
constexpr const char* kCorrectBackward = "layernorm_backward.f32";
constexpr const char* kBackwardMutant = "mutant.layernorm_backward.last_partial_block_dropped";

fs::path source_dir() {
  const char* dir = std::getenv("NORMCHECK_SOURCE_DIR");
  return dir != nullptr ? fs::path(dir) : fs::current_path();
}

ReportOptions quick_options(const fs::path& out, unsigned threads) {
  ReportOptions o;
  o.kernels = {kCorrect, kMutant, kOverflowing, kTruncating, kCorrectBackward, kBackwardMutant};
  o.out_dir = out;
  o.seed = 5;
  o.quick = true;
  o.threads = threads;
  return o;
}

// The report without what legitimately differs between runs (clock, thread count).
nlohmann::json stable_part(const ReportModel& model) {
  nlohmann::json j = report_to_json(model);
  for (const char* key : {"generated_at", "wall_seconds", "threads", "command"}) j.erase(key);
  for (auto& k : j["kernels"]) k.erase("seconds");
  for (auto& k : j["backward_kernels"]) k.erase("seconds");
  return j;
}

const KernelReport& kernel(const ReportModel& m, const std::string& name) {
  for (const auto& k : m.kernels)
    if (k.name == name) return k;
  throw std::runtime_error("kernel missing from the report: " + name);
}

class ReportEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    out_ = fs::temp_directory_path() / fmt::format("normcheck-report-test-{}", ::getpid());
    fs::remove_all(out_);
    model_ = run_report(quick_options(out_, 2));
    write_report(model_, out_);
  }
  static void TearDownTestSuite() { fs::remove_all(out_); }
  static inline fs::path out_;
  static inline ReportModel model_;
};

TEST_F(ReportEndToEnd, HasEverySectionForEachKernel) {
  const SweepSizes sizes = quick_sizes();
  ASSERT_EQ(model_.kernels.size(), 4u);
  for (const KernelReport& k : model_.kernels) {
    ASSERT_EQ(k.sweeps.size(), 3u);
    EXPECT_EQ(k.sweeps[0].points.size(), sizes.n_values.size());
    EXPECT_EQ(k.sweeps[1].points.size(), sizes.mean_over_std.size());
    EXPECT_EQ(k.sweeps[2].points.size(), static_cast<std::size_t>(sizes.magnitude_points));
    EXPECT_EQ(k.eps_grid.size(), eps_values().size() * var_over_eps_values().size());
    EXPECT_EQ(k.edge_cases.size(), 9u);
    EXPECT_EQ(k.edge_cases.back().id, "fused_residual");
    EXPECT_EQ(k.edge_cases.back().verdict, Verdict::not_applicable);  // neither kernel is fused
    EXPECT_GT(k.ulp.count, 0);
    EXPECT_FALSE(k.worst_cases.empty());
  }
  for (const char* f : {"index.html", "report.md", "report.json"}) EXPECT_TRUE(fs::exists(out_ / f)) << f;
}

TEST_F(ReportEndToEnd, TheMutantFailsWhereItsBugIsAndTheCorrectKernelDoesNot) {
  // One-pass variance cancels catastrophically once |mean| / std reaches ~1e4 in f32.
  const Sweep& mutant = kernel(model_, kMutant).sweeps[1];
  const Sweep& correct = kernel(model_, kCorrect).sweeps[1];
  std::printf("max score at |mean|/std = %g: mutant %g, correct %g\n", mutant.points[2].parameter,
              mutant.points[2].score.max, correct.points[2].score.max);
  EXPECT_EQ(mutant.points[2].tally.verdict(), Verdict::fail);
  for (const SweepPoint& p : correct.points) EXPECT_EQ(p.tally.verdict(), Verdict::pass) << p.parameter;
  EXPECT_TRUE(kernel(model_, kMutant).worst_cases.front().failed);
}

TEST_F(ReportEndToEnd, AnOverflowingKernelHasItsMeasuredDomainAndACorrectOneNone) {
  const KernelReport& overflowing = kernel(model_, kOverflowing);
  ASSERT_TRUE(overflowing.domain.max_abs_x.has_value()) << "the magnitude sweep's top binades overflow";
  // The sweep's rows hold 256 values of 2^k (0.5 + N(0, 1)): sum x^2 ~ 256 * 1.25 * 4^k, so
  // the bound lies within a binade of 2^64 / sqrt(320) ~ 2^59.8 (it depends on the draw).
  const double bound = std::log2(*overflowing.domain.max_abs_x);
  EXPECT_GT(bound, 58.5);
  EXPECT_LT(bound, 61.0);
  bool line = false;
  for (const WorstCase& w : overflowing.worst_cases)
    if (w.domain) line = line || describe_domain(*w.domain).find("overflows in fp32") != std::string::npos;
  EXPECT_TRUE(line);
  for (const char* name : {kCorrect, kTruncating}) {
    EXPECT_FALSE(kernel(model_, name).domain.max_abs_x.has_value()) << name;
    EXPECT_FALSE(kernel(model_, name).domain.min_abs_x.has_value()) << name;
  }
  const nlohmann::json json = report_to_json(model_);
  for (const auto& k : json["kernels"]) {
    ASSERT_TRUE(k.contains("domain")) << k["name"];
    EXPECT_EQ(k["domain"]["max_abs_x"].is_number(), k["name"] == kOverflowing) << k["name"];
  }
  const std::string md = render_markdown(model_);
  EXPECT_NE(md.find("## Safe input domain and rounding bias"), std::string::npos);
  EXPECT_NE(md.find("within budget for \\|x\\| <= 2^"), std::string::npos);  // '|' escaped in a table
  std::ifstream page(out_ / "index.html");
  const std::string html((std::istreambuf_iterator<char>(page)), std::istreambuf_iterator<char>());
  EXPECT_NE(html.find("<h2>Safe input domain and rounding bias</h2>"), std::string::npos);
  EXPECT_NE(html.find("within budget for |x| &lt;= 2^"), std::string::npos);
}

TEST_F(ReportEndToEnd, CarriesTheRoundingBiasFigures) {
  const KernelReport& truncating = kernel(model_, kTruncating);
  ASSERT_TRUE(truncating.bias.applicable());
  // Truncation leans about 0.3 ulp toward zero and misrounds about half the outputs. A
  // --quick report has one case per sweep point, too few for the test's false-alarm
  // rate (10^-6) to make a finding: the figures show, the p-value stays above it.
  EXPECT_GT(truncating.bias.mean_toward_zero, 0.2) << bias_summary(truncating.bias);
  EXPECT_GT(truncating.bias.misrounded_fraction, 0.3) << bias_summary(truncating.bias);
  // f32 outputs of f32 compute: no output qualifies (docs/error-measures.md).
  EXPECT_FALSE(kernel(model_, kCorrect).bias.applicable());
  const nlohmann::json json = report_to_json(model_);
  for (const auto& k : json["kernels"]) ASSERT_TRUE(k["bias"].contains("p_value")) << k["name"];
  EXPECT_NE(render_markdown(model_).find("% misrounded, p = "), std::string::npos);
}

TEST_F(ReportEndToEnd, SavedWorstCasesReplayToTheirRecordedVerdicts) {
  const auto kernels = impls::all_kernels({});
  for (const KernelReport& k : model_.kernels) {
    const impls::KernelInfo* info = impls::find_kernel(kernels, k.name);
    ASSERT_NE(info, nullptr);
    for (const WorstCase& w : k.worst_cases) {
      const Case c = read_case_file(out_ / w.file);
      EXPECT_EQ(c.kernel, k.name);
      EXPECT_EQ(w.replay, fmt::format("normcheck replay {}/{} --kernel {}", out_.string(), w.file, k.name));
      const CaseEvaluation again = evaluate_case(*info, c.problem, BudgetTable{}.for_kernel(*info));
      EXPECT_EQ(!again.passed(), w.failed) << w.file;
      EXPECT_EQ(c.expect, info->mutant ? harness::Verdict::fail : harness::Verdict::pass);  // what the kernel must give (replay_line.hpp)
    }
  }
}

TEST_F(ReportEndToEnd, IsTheSameOnOneThreadAsOnTwo) {
  const fs::path single = out_ / "single-thread";
  const ReportModel one = run_report(quick_options(single, 1));
  // Replay commands name the output directory; compare everything else.
  nlohmann::json a = stable_part(model_), b = stable_part(one);
  for (auto* j : {&a, &b})
    for (auto& k : (*j)["kernels"])
      for (auto& w : k["worst_cases"]) w.erase("replay");
  for (auto* j : {&a, &b})
    for (auto& k : (*j)["backward_kernels"])
      for (auto& w : k["worst_cases"]) w.erase("replay");
  EXPECT_EQ(a, b);
}

const BackwardKernelReport& backward_kernel(const ReportModel& m, const std::string& name) {
  for (const auto& k : m.backward_kernels)
    if (k.name == name) return k;
  throw std::runtime_error("backward kernel missing from the report: " + name);
}

// The backward section: every scenario and rows point for each kernel; the correct kernel
// passes everywhere, the mutant fails where the rows leave a partial block (not at 32 or
// 256 rows, multiples of its block of 32), and its minimized case replays as a failure.
TEST_F(ReportEndToEnd, TheBackwardSectionJudgesGradientsAndDgammaVersusRows) {
  ASSERT_EQ(model_.backward_kernels.size(), 2u);
  const BackwardKernelReport& correct = backward_kernel(model_, kCorrectBackward);
  const BackwardKernelReport& mutant = backward_kernel(model_, kBackwardMutant);
  EXPECT_EQ(correct.overall.kernel_verdict(), Verdict::pass) << correct.overall.first_violation;
  EXPECT_EQ(mutant.overall.kernel_verdict(), Verdict::fail);
  ASSERT_EQ(correct.gradients.size(), 3u);
  EXPECT_EQ(correct.gradients[0].output, "dx");
  for (const GradientErrors& g : correct.gradients) {
    EXPECT_GT(g.outputs, 0) << g.output;
    EXPECT_LT(g.max_score, 1.0) << g.output;
  }
  ASSERT_EQ(correct.scenarios.size(), backward_scenario_skeletons().size());
  ASSERT_EQ(mutant.dgamma_versus_rows.size(), dgamma_rows_values(true).size());
  for (const RowsPoint& p : mutant.dgamma_versus_rows) {
    const bool partial_block = p.rows % 32 != 0;
    EXPECT_EQ(p.tally.verdict(), partial_block ? Verdict::fail : Verdict::pass) << p.rows;
  }
  EXPECT_TRUE(correct.worst_cases.empty()) << "a correct kernel has no failing case to save";
  ASSERT_EQ(mutant.worst_cases.size(), 1u);
  const WorstCase& w = mutant.worst_cases[0];
  EXPECT_TRUE(w.failed);
  const Case c = read_case_file(out_ / w.file);
  EXPECT_EQ(c.direction, Direction::backward);
  EXPECT_EQ(c.expect, harness::Verdict::fail);
  const auto backward = impls::all_backward_kernels({});
  const impls::BackwardKernelInfo* info = impls::find_backward_kernel(backward, kBackwardMutant);
  ASSERT_NE(info, nullptr);
  EXPECT_FALSE(evaluate_backward_case(*info, backward_problem(c), BudgetTable{}.for_kernel(*info)).passed());
  const std::string md = render_markdown(model_);
  EXPECT_NE(md.find("## Backward pass"), std::string::npos);
  EXPECT_NE(md.find("### dgamma error versus rows"), std::string::npos);
  std::ifstream page(out_ / "index.html");
  const std::string html((std::istreambuf_iterator<char>(page)), std::istreambuf_iterator<char>());
  EXPECT_NE(html.find("<h2>Backward pass</h2>"), std::string::npos);
}

int run_node(const std::string& script, const std::string& args) {
  const fs::path src = source_dir();
  const std::string command = fmt::format("node '{}' {} '{}'", (src / "tests/report" / script).string(), args,
                                          (src / "report/web").string());
  return std::system(command.c_str());
}

TEST_F(ReportEndToEnd, ReportJsonValidatesAgainstTheSchema) {
  const std::string args =
      fmt::format("'{}' '{}'", (out_ / "report.json").string(), (source_dir() / "docs/report.schema.json").string());
  EXPECT_EQ(run_node("validate_schema.cjs", args), 0);
}

TEST_F(ReportEndToEnd, HtmlRendersOfflineInHeadlessChromiumWithNonBlankCharts) {
  EXPECT_EQ(run_node("render_html.cjs", fmt::format("'{}'", (out_ / "index.html").string())), 0);
}

}  // namespace
}  // namespace normcheck::harness::report
