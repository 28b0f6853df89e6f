// The accuracy report's data model: every number the renderers (JSON, Markdown, HTML)
// show, filled by run_report() and serialised as report.json (docs/report.schema.json).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/bias_statistics.hpp"
#include "harness/budget.hpp"
#include "harness/safe_domain.hpp"

namespace normcheck::harness::report {

// max / p99 / mean of a set of non-negative errors (ULP errors or scores).
struct ErrorStats {
  std::int64_t count = 0;
  double max = 0;
  double p99 = 0;
  double mean = 0;
};

// Counts of ULP errors in log2-spaced bins: bin i holds [edges[i], edges[i+1]); the
// first bin starts at 0 and the last ends at +inf.
struct Histogram {
  std::vector<double> edges;          // counts.size() + 1 entries, edges.back() = inf
  std::vector<std::int64_t> counts;
};

// Verdict of a group of evaluations: pass, fail, skipped (every case UNSUPPORTED or
// outside the kernel's declared domain), or n/a (the group does not apply to the kernel).
// A group of cases: pass, fail, skipped (every case skipped) or n/a (none applies). A kernel
// as a whole: pass, fail, or no cases (nothing was checked: never a pass, as in `check`).
enum class Verdict { pass, fail, skipped, not_applicable, no_cases };
std::string_view verdict_name(Verdict verdict);

// What a group of evaluate_case() calls found.
struct Tally {
  std::int64_t cases = 0;    // problems evaluated (skipped ones included)
  std::int64_t skipped = 0;
  std::int64_t failed = 0;
  std::int64_t outputs = 0;  // outputs checked
  std::int64_t special_mismatches = 0;
  double worst_score = 0;
  double worst_ulp_error = 0;
  std::string first_violation;  // "<class>: <message>" of the first failure; "" when none

  Verdict verdict() const;
  // The verdict of a kernel whose cases are all in this tally.
  Verdict kernel_verdict() const;
  void merge(const Tally& other);
};

// One point of an error-versus-parameter sweep.
struct SweepPoint {
  double parameter = 0;                 // n, the target |mean|/std, or the binade exponent
  std::optional<double> achieved;       // the measured value of the parameter, when it differs
  std::int64_t rows = 0, n = 0;
  double eps = 0;
  ErrorStats ulp, score;
  Tally tally;
};

struct Sweep {
  std::string id;         // "n" | "mean_over_std" | "magnitude"
  std::string title;
  std::string parameter;  // axis label
  std::vector<SweepPoint> points;
};

// One cell of the epsilon-sensitivity grid.
struct EpsCell {
  double eps = 0;
  double var_over_eps = 0;             // target; for eps = 0 the target variance itself
  std::optional<double> achieved;      // measured var / eps (var when eps = 0); none if NaN rows
  bool representable = true;           // achieved within a factor 2 of the target
  double kappa_eps_max = 0;            // max over finite outputs of kappa_eps
  Tally tally;
};

struct EdgeCase {
  std::string id;
  std::string title;
  Verdict verdict = Verdict::pass;
  Tally tally;
};

struct WorstCase {
  std::string source;       // "sweep n=4096", "eps grid eps=1e-05 var/eps=0.01", "edge zero_variance"
  std::string file;         // relative to the report directory: cases/<name>.json
  std::string replay;       // normcheck replay <out>/cases/<name>.json --kernel <kernel>
  bool failed = false;
  double score = 0;
  double ulp_error = 0;
  std::string violation;    // first violation, "" when it passes
  // A failing case of extreme magnitude that passes scaled towards 1: the kernel's safe
  // domain measured on it (harness/safe_domain.hpp); nullopt otherwise.
  std::optional<SafeDomain> domain;
  // The case file's text, written under `file` by write_report together with the rest
  // of the report (never on its own, so a report directory is replaced as a whole).
  std::string case_json;
};

struct KernelReport {
  std::string name;
  std::string op, x_dtype, param_dtype, y_dtype, compute;
  std::string flags;
  std::string origin;
  bool mutant = false;
  std::string bug_class;
  Budget budget;
  ErrorStats ulp, score;   // over every finite output of the three sweeps
  Histogram ulp_histogram;
  Tally overall;           // sweeps, eps grid and edge cases together
  std::vector<Sweep> sweeps;
  std::vector<EpsCell> eps_grid;  // eps-major: eps_values() x var_over_eps_values()
  std::vector<EdgeCase> edge_cases;
  std::vector<WorstCase> worst_cases;
  DomainBounds domain;     // the tightest bounds measured on the worst cases
  // The rounding-bias statistics of check over the sweeps' cases, in plan order: figures
  // only, the kernel's verdict is the report's cases' (the test is calibrated on check's stream).
  BiasFigures bias;
  double seconds = 0;      // CPU-thread seconds spent on this kernel
};

// The backward pass (docs/reports.md, "The backward pass"): one gradient output array's
// errors over a backward kernel's cases.
struct GradientErrors {
  std::string output;        // "dx", "dgamma", "dbeta"
  std::int64_t outputs = 0;  // finite outputs measured
  double max_score = 0;
  double max_ulp_error = 0;
};

// One point of dgamma's error versus the rows it sums over.
struct RowsPoint {
  std::int64_t rows = 0, n = 0;
  GradientErrors dgamma;
  Tally tally;
};

// One scenario of a backward kernel's cases (ordinary, large mean, huge dy, ...).
struct BackwardScenario {
  std::string id, title;
  Tally tally;
};

struct BackwardKernelReport {
  std::string name;
  std::string op, x_dtype, param_dtype, dy_dtype, compute;
  std::string origin;
  bool mutant = false;
  std::string bug_class;
  Budget budget;
  Tally overall;                          // every case of the scenarios and the rows sweep
  std::vector<GradientErrors> gradients;  // dx, dgamma and (LayerNorm) dbeta over every case
  std::vector<BackwardScenario> scenarios;
  std::vector<RowsPoint> dgamma_versus_rows;
  std::vector<WorstCase> worst_cases;     // the worst case (a failing one first), saved with its replay
  double seconds = 0;                     // CPU-thread seconds spent on this kernel
};

struct Environment {
  std::string normcheck_version, compiler, boost_version, gmp, mpfr;  // not *_version: gmp.h and mpfr.h define macros of those names
  std::string onednn_version;  // "not built" when the adapter is absent
  std::string cpu_model;
  unsigned hardware_threads = 0;
};

struct ReportModel {
  int schema_version = 1;
  std::string generated_at;  // UTC, ISO 8601
  std::string command;       // the command line that produced the report
  std::uint64_t seed = 0;
  bool quick = false;
  unsigned threads = 0;
  double wall_seconds = 0;
  Environment environment;
  std::vector<double> eps_values, var_over_eps_values;
  std::vector<KernelReport> kernels;
  std::vector<BackwardKernelReport> backward_kernels;
};

}  // namespace normcheck::harness::report
