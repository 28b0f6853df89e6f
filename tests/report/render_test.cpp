// Tests of the renderers on a hand-built model: non-finite numbers in JSON, Markdown
// tables, HTML that a hostile string cannot break, and the missing-bundle error.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <limits>

#include "harness/case.hpp"
#include "report/render.hpp"

namespace normcheck::harness::report {
namespace {

ReportModel small_model() {
  ReportModel m;
  m.seed = 42;
  m.eps_values = {0, 1e-5};
  m.var_over_eps_values = {0, 1};
  KernelReport k;
  k.name = "layernorm.f32.two_pass";
  k.op = "layernorm";
  k.x_dtype = k.param_dtype = k.y_dtype = k.compute = "f32";
  k.ulp = {10, 3.5, 1.25, 0.5};
  k.score = {10, std::numeric_limits<double>::infinity(), 2, 1};
  k.overall.cases = 3;
  k.overall.failed = 1;
  k.overall.first_violation = "score: </script><script>alert(1)</script>";
  EdgeCase e;
  e.id = "fused_residual";
  e.title = "fused residual";
  e.verdict = Verdict::not_applicable;
  k.edge_cases.push_back(e);
  m.kernels.push_back(k);
  return m;
}

TEST(NumberJson, NonFiniteNumbersAreStrings) {
  EXPECT_EQ(number_json(1.5), 1.5);
  EXPECT_EQ(number_json(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(number_json(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(number_json(std::numeric_limits<double>::quiet_NaN()), "nan");
}

TEST(ReportJson, CarriesTheNumbers) {
  const auto j = report_to_json(small_model());
  EXPECT_EQ(j["seed"], 42);
  const auto& k = j["kernels"][0];
  EXPECT_EQ(k["verdict"], "fail");
  EXPECT_EQ(k["ulp_error"]["max"], 3.5);
  EXPECT_EQ(k["score"]["max"], "inf");
  EXPECT_EQ(k["edge_cases"][0]["verdict"], "n/a");
}

TEST(Markdown, HasTheSummaryRowAndEdgeMatrix) {
  const std::string md = render_markdown(small_model());
  EXPECT_NE(md.find("| `layernorm.f32.two_pass` | layernorm | f32 / f32 / f32 | f32 | **FAIL** | 3 (1, 0) | 3.5 |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| kernel | fused residual |"), std::string::npos) << md;
  EXPECT_NE(md.find("| `layernorm.f32.two_pass` | n/a |"), std::string::npos) << md;
}

TEST(Html, AStringInTheDataCannotCloseTheScriptElement) {
  const ReportModel m = small_model();
  const std::string html = render_html(m, report_to_json(m), WebAssets{"/*vega*/", "/*vl*/", "/*embed*/"});
  const std::string open = "id=\"report-data\">";
  const auto data = html.find(open);
  ASSERT_NE(data, std::string::npos);
  // The browser ends the element at the first "</script": what lies before it must be
  // the whole report, intact.
  const auto begin = data + open.size();
  const auto end = html.find("</script", begin);
  ASSERT_NE(end, std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(html.substr(begin, end - begin)), report_to_json(m));
}

TEST(WebAssets, MissingBundlesGiveAClearError) {
  const std::filesystem::path empty = std::filesystem::temp_directory_path() / "normcheck-no-web-assets";
  std::filesystem::create_directories(empty);
  ::setenv("NORMCHECK_REPORT_WEB_DIR", empty.c_str(), 1);
  try {
    (void)load_web_assets();
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("npm ci"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("vega"), std::string::npos) << e.what();
  }
  ::unsetenv("NORMCHECK_REPORT_WEB_DIR");
}

}  // namespace
}  // namespace normcheck::harness::report
