// What a saved case promises and how to re-run it: the one definition of a case file's
// "expect", and the one shell command that check, fuzz and report print to replay a case.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "harness/isolation.hpp"
#include "harness/verdict.hpp"
#include "impls/registry.hpp"

namespace normcheck::harness {

// "expect" is the verdict the case must give on its kernel for the kernel to be right:
// pass for a kernel under test (a finding is a bug; its case fails until the bug is
// fixed, then guards against its return), fail for a mutant (its seeded bug must stay
// caught). check, fuzz and report save it; replay compares against it.
Verdict expected_verdict(const impls::KernelInfo& kernel);
Verdict expected_verdict(const impls::BackwardKernelInfo& kernel);

// The plugin a kernel came from, "" for built-in kernels and adapters.
std::string plugin_of(const impls::KernelInfo& kernel);
std::string plugin_of(const impls::BackwardKernelInfo& kernel);

// "<where>: unknown kernel "NAME" (...)": suggests the --plugin that a kernel from a shared
// library needs, and `normcheck list`. A built-in backward kernel is said to be one, which
// only `report` does not run (check, fuzz and replay find backward kernels themselves).
std::string unknown_kernel_message(std::string_view where, std::string_view name);

// The normcheck executable printed commands start with: its real path, so that they run
// verbatim without normcheck on PATH. The CLI sets it at start (set_executable_path); a
// library user that never does gets "normcheck".
const std::string& executable_path();
void set_executable_path(std::string path);
// The real path of the running program (/proc/self/exe), or "" when it cannot be read.
std::string this_program_path();

struct ReplayLine {
  std::filesystem::path case_file;
  std::string kernel;
  std::string plugin;                  // "" for built-in kernels
  std::filesystem::path budgets_file;  // "" when the defaults apply
  std::chrono::milliseconds case_timeout = kDefaultCaseTimeout;
  std::string executable;  // "" for executable_path(); a fuzz target is handed normcheck's
  std::string python_spec;  // a Python kernel's FILE.py:NAME (impls::KernelInfo::python_spec)
};

// `<exe> replay CASE --kernel NAME [--plugin LIB] [--budgets FILE] [--case-timeout-ms MS]`,
// or `<exe> replay CASE --python FILE.py:NAME` for a Python kernel (the package's command
// line takes no budgets file or timeout), each word shell-quoted.
std::string replay_command(const ReplayLine& line);

// `normcheck.replay("CASE", fn)`: the Python API's replay of a case on a callable handed over
// in Python, which has no spec file that a command could load it from.
std::string python_api_replay(const std::filesystem::path& case_file);

// The check run that reproduces a statistical finding (a bias finding has no single case
// that fails alone): the same kernel, seed and number of cases give the same case stream.
struct CheckLine {
  std::string kernel;
  std::string plugin;                  // "" for built-in kernels
  std::filesystem::path budgets_file;  // "" when the defaults apply
  std::uint64_t seed = 1;
  std::int64_t cases = 0;
  std::chrono::milliseconds case_timeout = kDefaultCaseTimeout;
  std::vector<std::string> case_source_flags;  // flags that shape the case stream (--f64-eps)
};

// `<exe> check --kernel NAME --seed S --cases N [--plugin LIB] [--budgets FILE]
// [--case-timeout-ms MS] [flags]`, each word shell-quoted.
std::string check_command(const CheckLine& line);

// text as one shell word: unchanged when it holds only safe characters, otherwise in
// single quotes.
std::string shell_quote(std::string_view text);

}  // namespace normcheck::harness
