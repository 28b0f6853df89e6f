// `normcheck report` from options to a written report (report_job.hpp).
#include "report/report_job.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <system_error>

#include "harness/atomic_file.hpp"
#include "harness/input_error.hpp"
#include "report/report_model.hpp"
#include "report/web_assets.hpp"

namespace normcheck::harness::report {
namespace {

// The report replaces --out as a whole, so --out must hold nothing but a report: missing,
// empty, or a previous report's files. Anything else would be deleted with the old
// report (`--out .` in a source tree).
void require_replaceable_report_directory(const std::string& out) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::is_directory(out, error)) return;  // missing, or not a directory: StagedDirectory says which
  for (auto it = fs::directory_iterator(out, error); !error && it != fs::directory_iterator(); it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name != "index.html" && name != "report.md" && name != "report.json" && name != "cases")
      throw InputError(fmt::format("--out {}: holds \"{}\", which is not part of a report; the report replaces its "
                                   "directory as a whole, so give a new directory, an empty one or a previous report's",
                                   out, name));
  }
  if (error) throw InputError(fmt::format("--out {}: cannot list the directory: {}", out, error.message()));
}

}  // namespace

ReportJobResult run_report_job(ReportOptions options) {
  const std::string out = options.out_dir.string();
  // Bad output paths and missing charting bundles fail before the sweeps. The probe stages
  // a directory beside --out (where the new report will be written) and removes it again.
  require_replaceable_report_directory(out);
  { const StagedDirectory probe("--out", out); }
  (void)load_web_assets();
  const ReportModel model = run_report(options);
  // The new report is written beside the old one and swapped in whole: a full disk or a
  // kill leaves the previous report as it was (docs/reports.md, "Outputs").
  ReportJobResult result;
  try {
    // Again at the end: what was put into --out during the run is not deleted either.
    require_replaceable_report_directory(out);
    StagedDirectory staged("--out", out);
    write_report(model, staged.path());
    staged.commit();
  } catch (const InputError& error) {  // OutputError, or --out no longer a report's
    result.write_error = error.what();
  }
  // A kernel that was not tested (every case skipped) is never a pass, as in `check`.
  std::size_t failing = 0, untested = 0;
  const auto count = [&](const Tally& overall) {
    failing += overall.kernel_verdict() == Verdict::fail ? 1 : 0;
    untested += overall.kernel_verdict() == Verdict::no_cases ? 1 : 0;
  };
  for (const auto& k : model.kernels) count(k.overall);
  for (const auto& k : model.backward_kernels) count(k.overall);
  const std::string written = result.write_error.empty()
                                  ? fmt::format("{}/index.html, {}/report.md, {}/report.json", out, out, out)
                                  : fmt::format("NOT written ({} left as it was)", out);
  result.summary = fmt::format("normcheck report: {} kernel(s), {} with findings, {} with no cases checked, {:.1f} s on "
                               "{} thread(s): {}",
                               model.kernels.size() + model.backward_kernels.size(), failing, untested,
                               model.wall_seconds, model.threads, written);
  // The CLI contract: 1 when there are findings, as in check (a kernel that failed a
  // case, or one of which no case was checked), with the report written all the same.
  result.exit_code = !result.write_error.empty() ? 2 : (failing + untested > 0 ? 1 : 0);
  return result;
}

}  // namespace normcheck::harness::report
