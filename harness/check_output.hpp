// What `normcheck check` writes: the per-kernel summary table, the findings with their
// minimized cases and replay commands, JUnit XML for CI dashboards and JSON.
#pragma once

#include <string>

#include "harness/checker.hpp"

namespace normcheck::harness {

// A kernel's verdict as the table shows it: "pass", "NO CASES" or "FAIL (<class>)".
std::string verdict_label(const KernelSummary& kernel);

// The line under the table: seed, kernels, outputs, seconds and the run's verdict.
std::string format_run_line(const CheckReport& report);

// One row per kernel: cases, elements, max ULP, max score, special mismatches, verdict.
std::string format_summary_table(const CheckReport& report);

// Each finding: signature and message, the minimized case as JSON, the replay command.
std::string format_findings(const CheckReport& report);

// A <testsuite> with one <testcase> per kernel; a finding is a <failure>.
std::string junit_xml(const CheckReport& report);

// The whole report as JSON (kernels, measures, findings with their cases).
std::string report_json(const CheckReport& report);

}  // namespace normcheck::harness
