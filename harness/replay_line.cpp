// expected_verdict, the executable's path and the printed replay command (replay_line.hpp).
#include "harness/replay_line.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <system_error>
#include <utility>

namespace normcheck::harness {

Verdict expected_verdict(const impls::KernelInfo& kernel) { return kernel.mutant ? Verdict::fail : Verdict::pass; }

Verdict expected_verdict(const impls::BackwardKernelInfo& kernel) {
  return kernel.mutant ? Verdict::fail : Verdict::pass;
}

std::string plugin_of(const impls::KernelInfo& kernel) {
  return kernel.origin == impls::KernelOrigin::plugin ? kernel.plugin_path : std::string();
}

std::string plugin_of(const impls::BackwardKernelInfo& kernel) {
  return kernel.origin == impls::KernelOrigin::plugin ? kernel.plugin_path : std::string();
}

std::string unknown_kernel_message(std::string_view where, std::string_view name) {
  return fmt::format("{}: unknown kernel \"{}\" (not built in: a kernel from a shared library needs "
                     "--plugin LIB; `normcheck list --plugin LIB` shows what a library exports)",
                     where, name);
}

namespace {
std::string& executable_setting() {
  static std::string path = "normcheck";
  return path;
}
}  // namespace

const std::string& executable_path() { return executable_setting(); }
void set_executable_path(std::string path) { executable_setting() = std::move(path); }

std::string this_program_path() {
  std::error_code error;
  const auto path = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string() : path.string();
}

std::string shell_quote(std::string_view text) {
  const bool safe = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || std::string_view("_./=:@%+,-").find(c) != std::string_view::npos;
  });
  if (safe) return std::string(text);
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string replay_command(const ReplayLine& line) {
  const std::string executable = line.executable.empty() ? executable_path() : line.executable;
  if (!line.python_spec.empty()) {
    return fmt::format("{} replay {} --python {}", shell_quote(executable), shell_quote(line.case_file.string()),
                       shell_quote(line.python_spec));
  }
  auto command = fmt::format("{} replay {} --kernel {}", shell_quote(executable),
                             shell_quote(line.case_file.string()), shell_quote(line.kernel));
  if (!line.plugin.empty()) command += " --plugin " + shell_quote(line.plugin);
  if (!line.budgets_file.empty()) command += " --budgets " + shell_quote(line.budgets_file.string());
  if (line.case_timeout != kDefaultCaseTimeout) command += fmt::format(" --case-timeout-ms {}", line.case_timeout.count());
  return command;
}

std::string python_api_replay(const std::filesystem::path& case_file) {
  return fmt::format("normcheck.replay(\"{}\", fn)", case_file.string());
}

std::string check_command(const CheckLine& line) {
  auto command = fmt::format("{} check --kernel {} --seed {} --cases {}", shell_quote(executable_path()),
                             shell_quote(line.kernel), line.seed, line.cases);
  if (!line.plugin.empty()) command += " --plugin " + shell_quote(line.plugin);
  if (!line.budgets_file.empty()) command += " --budgets " + shell_quote(line.budgets_file.string());
  if (line.case_timeout != kDefaultCaseTimeout) command += fmt::format(" --case-timeout-ms {}", line.case_timeout.count());
  for (const auto& flag : line.case_source_flags) command += fmt::format(" {}", shell_quote(flag));
  return command;
}

}  // namespace normcheck::harness
