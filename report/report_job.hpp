// The whole `normcheck report` job once its options are known, shared by the CLI and the
// Python package's report(): --out checked before the sweeps, the sweeps, the report written
// into a staged copy that replaces --out whole, and the one-line summary.
#pragma once

#include <string>

#include "report/run_report.hpp"

namespace normcheck::harness::report {

struct ReportJobResult {
  // The CLI's exit code: 0 no findings; 1 a kernel with findings or with no case checked
  // (the report is written all the same); 2 the report could not be written.
  int exit_code = 0;
  std::string summary;      // "normcheck report: K kernel(s), F with findings, ...", as the CLI prints it
  std::string write_error;  // why the report was not written ("" when it was); --out is then as it was
};

// Runs the report into options.out_dir. Throws InputError before any sweep for an --out
// that holds anything but a report, a bad budgets file, an unknown kernel or missing charting
// bundles (a name clash of an in-process kernel included).
ReportJobResult run_report_job(ReportOptions options);

}  // namespace normcheck::harness::report
