// The report's backward pass: for each backward kernel, scenarios aimed at the gradient's
// bug classes and dgamma's error versus the number of rows it sums over, each judged by
// harness::evaluate_backward_case in an isolated worker, with the worst failing case
// minimized and saved (docs/reports.md, "The backward pass").
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "harness/budget.hpp"
#include "impls/registry.hpp"
#include "report/report_model.hpp"
#include "report/run_report.hpp"

namespace normcheck::harness::report {

class BackwardSection {
 public:
  BackwardSection(std::vector<impls::BackwardKernelInfo> kernels, const BudgetTable& budgets,
                  const ReportOptions& options);

  std::size_t task_count() const;
  // Runs every task on `threads` threads (step(label) after each, from any thread), then
  // minimizes and saves each kernel's worst failing case.
  std::vector<BackwardKernelReport> run(unsigned threads, const std::function<void(const std::string&)>& step);

 private:
  std::vector<impls::BackwardKernelInfo> kernels_;
  std::vector<Budget> budgets_;
  std::vector<bool> isolate_;  // per kernel: options.isolate, false for an in-process (Python) kernel
  ReportOptions options_;
};

// The scenarios' ids and titles, and the row counts of the rows sweep, in report order.
std::vector<BackwardScenario> backward_scenario_skeletons();
std::vector<std::int64_t> dgamma_rows_values(bool quick);

}  // namespace normcheck::harness::report
