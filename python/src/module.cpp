// _normcheck: the engine's check, replay and oracle for kernels written in Python. The
// public API (normcheck/__init__.py) builds on these three functions; every measure,
// generator, budget, shrinker and output format is the C++ engine's own.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/budget.hpp"
#include "harness/case.hpp"
#include "harness/check_output.hpp"
#include "harness/checker.hpp"
#include "harness/input_error.hpp"
#include "harness/kernel_shape.hpp"
#include "harness/replay.hpp"
#include "harness/replay_line.hpp"
#include "harness/verdict.hpp"
#include "harness/violation.hpp"
#include "impls/abi_names.hpp"
#include "impls/plugin_loader.hpp"
#include "properties/case_source.hpp"
#include "python/src/python_kernel.hpp"
#include "reference/oracle.hpp"
#include "report/report_job.hpp"

namespace py = pybind11;
namespace h = normcheck::harness;
using normcheck::python::PythonBackwardKernel;
using normcheck::python::PythonKernel;

namespace {

// A kernel as __init__.py describes it: the adapter callable and the ABI declaration.
std::unique_ptr<PythonKernel> make_kernel(const py::object& adapter, const std::string& name, int op, int x,
                                          int param, int y, unsigned flags) {
  auto kernel = std::make_unique<PythonKernel>();
  kernel->name = name;
  kernel->adapter = adapter.ptr();
  normcheck::python::init_python_kernel(*kernel, static_cast<normcheck_op>(op), static_cast<normcheck_dtype>(x),
                                        static_cast<normcheck_dtype>(param), static_cast<normcheck_dtype>(y), flags);
  return kernel;
}

// A backward kernel as __init__.py describes it: the autograd adapter and the ABI declaration.
std::unique_ptr<PythonBackwardKernel> make_backward_kernel(const py::object& adapter, const std::string& name, int op,
                                                           int x, int param, int dy) {
  auto kernel = std::make_unique<PythonBackwardKernel>();
  kernel->name = name;
  kernel->adapter = adapter.ptr();
  normcheck::python::init_python_backward_kernel(*kernel, static_cast<normcheck_op>(op),
                                                 static_cast<normcheck_dtype>(x), static_cast<normcheck_dtype>(param),
                                                 static_cast<normcheck_dtype>(dy));
  return kernel;
}

py::dict finding_dict(const h::Finding& f) {
  py::dict d;
  d["kernel"] = f.kernel;
  d["klass"] = std::string(h::class_name(f.klass));
  d["message"] = f.message;
  d["signature"] = f.signature;
  d["regime"] = f.regime;
  d["case_index"] = f.case_index;
  d["hits"] = f.hits;
  d["case_file"] = f.case_file.string();
  d["case_json"] = h::case_to_json(f.saved_case);
  d["minimized_rows"] = f.minimized.rows;
  d["minimized_n"] = f.minimized.n;
  d["save_error"] = f.save_error;
  d["replay"] = f.replay;
  return d;
}

// Replay commands start with the normcheck executable that handed the command over
// (`normcheck check|report --python`), else with "normcheck".
void use_forwarding_executable() {
  if (const char* executable = std::getenv("NORMCHECK_EXECUTABLE"); executable != nullptr && *executable != '\0')
    h::set_executable_path(executable);
}

// How a finding is replayed: the engine's `--kernel NAME` line would name a kernel the CLI
// has not. Python's normcheck.replay, or with the spec the kernel came from (the CLI's
// --python FILE.py:NAME) the command that loads it again.
void use_python_replay_lines(h::CheckReport& report, const std::string& python_spec) {
  use_forwarding_executable();
  for (auto& k : report.kernels)
    for (auto& f : k.findings) {
      if (f.case_file.empty()) continue;
      f.replay = python_spec.empty()
                     ? h::python_api_replay(f.case_file)
                     : h::replay_command(h::ReplayLine{f.case_file, f.kernel, {}, {}, h::kDefaultCaseTimeout, {}, python_spec});
    }
}

h::CheckOptions check_options(std::uint64_t seed, std::int64_t cases, bool isolate, bool shrink, int max_findings,
                              const std::string& failures_dir, std::int64_t case_timeout_ms) {
  h::CheckOptions options;
  options.seed = seed;
  options.cases = cases;
  options.isolate = isolate;
  options.threads = 1;  // Python kernels are not thread-safe: one kernel, one thread
  options.shrink = shrink;
  options.max_findings = max_findings;
  options.failures_dir = failures_dir;
  options.case_timeout = std::chrono::milliseconds(case_timeout_ms);
  return options;
}

// The kernels of one report(). A forward entry is (adapter, name, op, x, param, y, flags,
// compute, spec), a backward one (adapter, name, op, x, param, dy, compute, spec); spec is the
// FILE.py:NAME its replay command loads it from ("" for none).
struct ReportKernels {
  std::vector<std::unique_ptr<PythonKernel>> trampolines;
  std::vector<std::unique_ptr<PythonBackwardKernel>> backward_trampolines;
  std::vector<normcheck::impls::KernelInfo> infos;
  std::vector<normcheck::impls::BackwardKernelInfo> backward_infos;

  std::vector<std::string> exceptions() const {
    std::vector<std::string> out;
    for (const auto& k : trampolines)
      for (const auto& e : k->exceptions) out.push_back(k->name + ": " + e);
    for (const auto& k : backward_trampolines)
      for (const auto& e : k->exceptions) out.push_back(k->name + ": " + e);
    return out;
  }
};

ReportKernels report_kernels(const py::list& entries, const py::list& backward_entries) {
  ReportKernels out;
  for (const auto& entry : entries) {
    const auto t = entry.cast<py::tuple>();
    out.trampolines.push_back(make_kernel(t[0], t[1].cast<std::string>(), t[2].cast<int>(), t[3].cast<int>(),
                                          t[4].cast<int>(), t[5].cast<int>(), t[6].cast<unsigned>()));
    normcheck::impls::KernelInfo info =
        normcheck::python::kernel_info(*out.trampolines.back(), static_cast<normcheck_dtype>(t[7].cast<int>()));
    info.python_spec = t[8].cast<std::string>();
    out.infos.push_back(std::move(info));
  }
  for (const auto& entry : backward_entries) {
    const auto t = entry.cast<py::tuple>();
    out.backward_trampolines.push_back(make_backward_kernel(t[0], t[1].cast<std::string>(), t[2].cast<int>(),
                                                            t[3].cast<int>(), t[4].cast<int>(), t[5].cast<int>()));
    normcheck::impls::BackwardKernelInfo info = normcheck::python::backward_kernel_info(
        *out.backward_trampolines.back(), static_cast<normcheck_dtype>(t[6].cast<int>()));
    info.python_spec = t[7].cast<std::string>();
    out.backward_infos.push_back(std::move(info));
  }
  return out;
}

// `normcheck report` over Python kernels (judged in this process, serially: the GIL) beside
// the named built-in, oneDNN and plugin kernels (None: every non-mutant one; []: none).
py::dict report(const py::list& entries, const py::list& backward_entries,
                const std::optional<std::vector<std::string>>& builtins,
                const std::vector<std::string>& plugins, const std::string& out, std::uint64_t seed, bool quick,
                unsigned threads, const std::string& command, bool progress, const std::string& budgets,
                bool isolate, std::int64_t case_timeout_ms) {
  ReportKernels kernels = report_kernels(entries, backward_entries);
  h::report::ReportOptions options;
  options.in_process_kernels = kernels.infos;
  options.in_process_backward_kernels = kernels.backward_infos;
  options.every_kernel_by_default = !builtins.has_value();
  if (builtins) {
    options.kernels = *builtins;
    // Named built-ins only: with none, the Python kernels alone (an empty list selects every kernel).
    if (options.kernels.empty()) options.every_kernel_by_default = false;
  }
  options.plugins = plugins;
  options.out_dir = out;
  options.seed = seed;
  options.quick = quick;
  options.threads = threads;
  options.command = command;
  options.progress = progress;
  if (!budgets.empty()) options.budgets_file = budgets;
  options.isolate = isolate;  // for the other kernels: the Python ones always run in this process
  options.case_timeout = std::chrono::milliseconds(case_timeout_ms);
  use_forwarding_executable();
  h::report::ReportJobResult result;
  {
    py::gil_scoped_release release;  // the Python kernels take it back in their trampolines
    result = h::report::run_report_job(options);
  }
  py::dict d;
  d["exit_code"] = result.exit_code;
  d["summary"] = result.summary;
  d["write_error"] = result.write_error;
  d["exceptions"] = kernels.exceptions();
  return d;
}

// `normcheck list --python ...`: the CLI's lines for every kernel (built-in and from plugins),
// then the Python kernels', forward before backward as the CLI lists them.
std::vector<std::string> list_kernels(const py::list& entries, const py::list& backward_entries,
                                      const std::vector<std::string>& plugins) {
  const ReportKernels kernels = report_kernels(entries, backward_entries);
  std::vector<std::string> lines;
  for (const auto& info : normcheck::impls::all_kernels(plugins)) lines.push_back(normcheck::impls::describe_kernel(info));
  for (const auto& info : kernels.infos) lines.push_back(normcheck::impls::describe_kernel(info));
  for (const auto& info : normcheck::impls::all_backward_kernels(plugins))
    lines.push_back(normcheck::impls::describe_kernel(info));
  for (const auto& info : kernels.backward_infos) lines.push_back(normcheck::impls::describe_kernel(info));
  return lines;
}

// The one kernel's summary, findings and the engine's texts, for CheckResult.
py::dict check_result(h::CheckReport& report, const std::vector<std::string>& exceptions,
                      const std::string& python_spec) {
  use_python_replay_lines(report, python_spec);
  const auto& k = report.kernels.at(0);
  py::dict out;
  out["kernel"] = k.kernel;
  out["verdict"] = std::string(h::verdict_word(k.verdict()));
  out["cases"] = k.cases;
  out["skipped"] = k.skipped;
  out["outputs"] = k.outputs;
  out["max_ulp_error"] = k.max_ulp_error;
  out["max_score"] = k.max_score;
  out["max_ulp_distance"] = k.max_ulp_distance;
  out["special_mismatches"] = k.special_mismatches;
  out["seconds"] = report.seconds;
  py::list findings;
  for (const auto& f : k.findings) findings.append(finding_dict(f));
  out["findings"] = findings;
  out["summary"] = h::format_summary_table(report) + h::format_run_line(report);
  out["findings_text"] = h::format_findings(report);
  out["json"] = h::report_json(report);
  out["junit"] = h::junit_xml(report);
  out["exceptions"] = exceptions;
  return out;
}

py::dict check(const py::object& adapter, const std::string& name, int op, int x, int param, int y, unsigned flags,
               int compute, std::uint64_t seed, std::int64_t cases, bool isolate, bool shrink, int max_findings,
               const std::string& failures_dir, std::int64_t case_timeout_ms, const std::string& python_spec) {
  auto kernel = make_kernel(adapter, name, op, x, param, y, flags);
  const std::vector<normcheck::impls::KernelInfo> kernels{
      normcheck::python::kernel_info(*kernel, static_cast<normcheck_dtype>(compute))};
  const h::CheckOptions options = check_options(seed, cases, isolate, shrink, max_findings, failures_dir, case_timeout_ms);
  normcheck::props::GeneratorOptions generator;  // the CLI's default stream (no --f64-eps)
  h::CheckReport report;
  {
    py::gil_scoped_release release;  // the kernel takes it back in its trampoline
    report = h::run_check(kernels, h::BudgetTable{}, normcheck::props::make_case_source(generator), options);
  }
  return check_result(report, kernel->exceptions, python_spec);
}

// check() for the backward pass: the CLI's backward case stream and judge (dx, dgamma, dbeta).
py::dict check_backward(const py::object& adapter, const std::string& name, int op, int x, int param, int dy,
                        int compute, std::uint64_t seed, std::int64_t cases, bool isolate, bool shrink,
                        int max_findings, const std::string& failures_dir, std::int64_t case_timeout_ms,
                        const std::string& python_spec) {
  auto kernel = make_backward_kernel(adapter, name, op, x, param, dy);
  const std::vector<normcheck::impls::BackwardKernelInfo> kernels{
      normcheck::python::backward_kernel_info(*kernel, static_cast<normcheck_dtype>(compute))};
  const h::CheckOptions options = check_options(seed, cases, isolate, shrink, max_findings, failures_dir, case_timeout_ms);
  normcheck::props::GeneratorOptions generator;
  h::CheckReport report;
  {
    py::gil_scoped_release release;
    report = h::run_backward_check(kernels, h::BudgetTable{}, normcheck::props::make_backward_case_source(generator),
                                   options);
  }
  return check_result(report, kernel->exceptions, python_spec);
}

py::list replay_results(const std::vector<h::ReplayResult>& results, const std::vector<std::string>& exceptions) {
  py::list out;
  for (const auto& r : results) {
    py::dict d;
    d["file"] = r.file.string();
    d["kernel"] = r.kernel;
    d["verdict"] = std::string(h::verdict_name(r.observed));
    d["detail"] = r.detail;
    d["incompatible"] = r.incompatible;
    d["exceptions"] = exceptions;
    out.append(d);
  }
  return out;
}

h::ReplayOptions replay_options(const std::string& name, bool isolate) {
  h::ReplayOptions options;
  options.kernel = name;
  options.isolate = isolate;
  return options;
}

py::list replay(const std::string& path, const py::object& adapter, const std::string& name, int op, int x,
                int param, int y, unsigned flags, int compute, bool isolate) {
  auto kernel = make_kernel(adapter, name, op, x, param, y, flags);
  const std::vector<normcheck::impls::KernelInfo> kernels{
      normcheck::python::kernel_info(*kernel, static_cast<normcheck_dtype>(compute))};
  const h::Case c = h::read_case_file(path);
  std::vector<h::ReplayResult> results;
  {
    py::gil_scoped_release release;
    results = h::replay_case(path, c, kernels, {}, h::BudgetTable{}, replay_options(name, isolate));
  }
  return replay_results(results, kernel->exceptions);
}

py::list replay_backward(const std::string& path, const py::object& adapter, const std::string& name, int op, int x,
                         int param, int dy, int compute, bool isolate) {
  auto kernel = make_backward_kernel(adapter, name, op, x, param, dy);
  const std::vector<normcheck::impls::BackwardKernelInfo> kernels{
      normcheck::python::backward_kernel_info(*kernel, static_cast<normcheck_dtype>(compute))};
  const h::Case c = h::read_case_file(path);
  std::vector<h::ReplayResult> results;
  {
    py::gil_scoped_release release;
    results = h::replay_case(path, c, {}, kernels, h::BudgetTable{}, replay_options(name, isolate));
  }
  return replay_results(results, kernel->exceptions);
}

py::array_t<double> to_numpy(const std::vector<double>& v) { return py::array_t<double>(v.size(), v.data()); }

// The oracle's outputs for a case file (docs/oracle.md), as float64 arrays: y is rounded
// to the case's y dtype, y_exact is not.
py::dict oracle(const std::string& path) {
  const h::Case c = h::read_case_file(path);
  if (c.direction != h::Direction::forward) throw std::invalid_argument(path + ": oracle() takes forward cases");
  const auto result = normcheck::ref::compute_oracle(c.problem);
  const py::ssize_t rows = c.problem.rows, n = c.problem.n;
  py::dict d;
  d["y"] = to_numpy(result.y).reshape({rows, n});
  d["y_exact"] = to_numpy(result.y_exact).reshape({rows, n});
  d["mean"] = to_numpy(result.mean);
  d["rstd"] = to_numpy(result.rstd);
  if (!result.residual_out.empty()) d["residual_out"] = to_numpy(result.residual_out).reshape({rows, n});
  return d;
}

}  // namespace

PYBIND11_MODULE(_normcheck, m) {
  m.doc() = "normcheck's engine for Python kernels (use the normcheck package, not this module)";
  m.def("check", &check);
  m.def("check_backward", &check_backward);
  m.def("replay", &replay);
  m.def("replay_backward", &replay_backward);
  m.def("oracle", &oracle);
  m.def("report", &report);
  m.def("list_kernels", &list_kernels);
  m.attr("WRITES_STATS") = NORMCHECK_WRITES_STATS;
  m.attr("FUSED_RESIDUAL") = NORMCHECK_FUSED_RESIDUAL;
  // The engine's input errors (a bad case file) reach Python as ValueError.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const normcheck::harness::InputError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });
}
