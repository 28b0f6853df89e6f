// Writes the report's files (index.html, report.md, report.json, cases/) into a directory.
#include <fmt/format.h>

#include <filesystem>
#include <system_error>

#include "harness/atomic_file.hpp"
#include "report/render.hpp"
#include "report/run_report.hpp"

namespace normcheck::harness::report {

void write_report(const ReportModel& model, const std::filesystem::path& dir) {
  // Read the bundles first: a missing bundle fails before anything is written.
  const WebAssets assets = load_web_assets();
  const auto make_directory = [](const std::filesystem::path& path) {
    std::error_code error;
    std::filesystem::create_directories(path, error);
    if (error) throw OutputError(fmt::format("{}: cannot create the directory: {}", path.string(), error.message()));
  };
  make_directory(dir);
  bool any_case = false;
  for (const auto& k : model.kernels) any_case = any_case || !k.worst_cases.empty();
  for (const auto& k : model.backward_kernels) any_case = any_case || !k.worst_cases.empty();
  if (any_case) make_directory(dir / "cases");
  // The cases first, the page last: what the page links to exists before it does.
  for (const auto& k : model.kernels)
    for (const auto& w : k.worst_cases) write_file_atomically(dir / w.file, w.case_json);
  for (const auto& k : model.backward_kernels)
    for (const auto& w : k.worst_cases) write_file_atomically(dir / w.file, w.case_json);
  const nlohmann::json json = report_to_json(model);
  write_file_atomically(dir / "report.json", json.dump(1) + "\n");
  write_file_atomically(dir / "report.md", render_markdown(model));
  write_file_atomically(dir / "index.html", render_html(model, json, assets));
}

}  // namespace normcheck::harness::report
