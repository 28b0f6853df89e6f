// Writes the report's three files into the output directory.
#include <fmt/format.h>
#include <fstream>

#include "harness/case.hpp"
#include "harness/report/render.hpp"
#include "harness/report/run_report.hpp"

namespace normcheck::harness::report {

namespace {

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error(fmt::format("report: cannot write {}", path.string()));
}

}  // namespace

void write_report(const ReportModel& model, const std::filesystem::path& out_dir) {
  // Read the bundles first: a missing bundle fails before anything is written.
  const WebAssets assets = load_web_assets();
  std::filesystem::create_directories(out_dir);
  const nlohmann::json json = report_to_json(model);
  write_text(out_dir / "report.json", json.dump(1) + "\n");
  write_text(out_dir / "report.md", render_markdown(model));
  write_text(out_dir / "index.html", render_html(model, json, assets));
}

}  // namespace normcheck::harness::report
