// Options shared by several commands, defined once so their help and checks agree.
#pragma once

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "harness/isolation.hpp"
#include "harness/text_file.hpp"

namespace normcheck::harness::cli {

// A check's message follows "--flag: " on the one line main prints for a bad value, so
// it says what was expected and repeats what was given. The checks have no help text of
// their own (CLI11 would append it to the value's name): the bounds are in the option's
// description instead.

// A whole number in [minimum, maximum], written in decimal. CLI11's own conversion wraps
// "-1" to 2^64 - 1 and clamps 2^64 to 2^64 - 1 for an unsigned option, reads "010" as
// octal, and words a range error with 300-digit doubles; this refuses all of them with
// the bounds spelled out and hands CLI11 the number in plain decimal.
template <typename Integer>
CLI::Validator whole_number(Integer minimum, Integer maximum) {
  return CLI::Validator(
      [minimum, maximum](std::string& text) -> std::string {
        Integer value{};
        const char* last = text.data() + text.size();
        const auto [end, error] = std::from_chars(text.data(), last, value);
        if (error != std::errc() || end != last || value < minimum || value > maximum)
          return fmt::format("expected a whole number from {} to {}, got \"{}\"", minimum, maximum, text);
        text = std::to_string(value);
        return "";
      },
      "");
}

// At most 30 days: longer than any run is meant to be, and small enough that seconds
// convert to clocks and to libFuzzer's integer -max_total_time without overflow.
inline constexpr double kMaxSeconds = 30 * 24 * 3600.0;

// A finite number of seconds in [minimum, kMaxSeconds] (> 0 when minimum is 0).
// CLI::PositiveNumber lets NaN through (every comparison with it is false), and a NaN
// time budget never runs out.
inline CLI::Validator finite_seconds(double minimum) {
  return CLI::Validator(
      [minimum](const std::string& text) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value) || !std::isfinite(value) || value < minimum ||
            (minimum == 0 && value <= 0) || value > kMaxSeconds) {
          return minimum > 0 ? fmt::format("expected a number of seconds from {} to {} (30 days), got \"{}\"",
                                           minimum, kMaxSeconds, text)
                             : fmt::format("expected a number of seconds above 0 and at most {} (30 days), got \"{}\"",
                                           kMaxSeconds, text);
        }
        return "";
      },
      "");
}

// A path given on the command line: never empty. An empty --json or --save-failures
// reads as "not given" further on and was skipped without a word.
inline CLI::Validator nonempty_path() {
  return CLI::Validator(
      [](const std::string& path) -> std::string { return path.empty() ? "expected a path, got \"\"" : ""; }, "");
}

// --junit FILE, --out DIR and the like: a path option whose value must not be empty.
// The command checks that it can write there before it starts (output_paths.hpp).
inline CLI::Option* add_path_option(CLI::App* command, const std::string& name, std::string& path,
                                    const std::string& help, const std::string& type_name) {
  return command->add_option(name, path, help)->type_name(type_name)->check(nonempty_path());
}

// A regular file that exists and can be read, checked when the command line is parsed
// so that a typo fails before any work; the reason is the system's (strerror). A FIFO or
// a device is refused without being opened (opening a FIFO blocks until a writer comes).
inline CLI::Validator readable_file() {
  return CLI::Validator([](const std::string& path) -> std::string { return input_file_problem(path); }, "");
}

inline constexpr const char* kPluginHelp = "shared library exporting normcheck_plugin_kernels";

// --plugin LIB, repeatable.
inline CLI::Option* add_plugin_option(CLI::App* command, std::vector<std::string>& plugins) {
  return command->add_option("--plugin", plugins, fmt::format("{} (repeatable)", kPluginHelp))
      ->type_name("LIB")
      ->check(nonempty_path());
}

// --plugin LIB, once (fuzz builds one target around one kernel).
inline CLI::Option* add_plugin_option(CLI::App* command, std::string& plugin) {
  return command->add_option("--plugin", plugin, kPluginHelp)->type_name("LIB")->check(nonempty_path());
}

// --budgets FILE: TOML overrides of the default budgets.
inline CLI::Option* add_budgets_option(CLI::App* command, std::string& budgets) {
  return command->add_option("--budgets", budgets, "TOML file of per-kernel budgets (docs/budgets.md)")
      ->type_name("FILE")
      ->check(readable_file());
}

// --seed N: any 64-bit unsigned value; a value that does not fit is refused, not wrapped.
inline CLI::Option* add_seed_option(CLI::App* command, std::uint64_t& seed, const std::string& help) {
  return command
      ->add_option("--seed", seed, help + "; 0 to 2^64 - 1")
      ->type_name("N")
      ->capture_default_str()
      ->check(whole_number<std::uint64_t>(0, std::numeric_limits<std::uint64_t>::max()));
}

// --no-isolate and --case-timeout-ms MS (bounded to [1, kMaxCaseTimeout]), which
// exclude each other: an in-process kernel cannot be stopped, so a timeout there would
// be ignored silently. `what_a_crash_ends` completes "a crashing kernel ends the ...".
inline void add_isolation_options(CLI::App* command, bool& no_isolate, std::int64_t& case_timeout_ms,
                                  const std::string& what_a_crash_ends) {
  auto* in_process = command->add_flag("--no-isolate", no_isolate,
                                       "run kernels in this process (faster; a crashing kernel ends the " +
                                           what_a_crash_ends + ")");
  const std::int64_t most = static_cast<std::int64_t>(kMaxCaseTimeout.count());
  command
      ->add_option("--case-timeout-ms", case_timeout_ms,
                   fmt::format("a case running longer is a hang finding; 1 to {} ms", most))
      ->type_name("MS")
      ->capture_default_str()
      ->check(whole_number<std::int64_t>(1, most))
      ->excludes(in_process);
}

// The most --threads / --jobs: beyond any useful parallelism on this machine, and small
// enough that a typo such as 1000 is refused instead of starting a thousand workers.
inline unsigned max_workers() { return std::max(256u, std::thread::hardware_concurrency()); }

// --threads N / --jobs N: parallel workers, 1 to max_workers().
template <typename Integer>
CLI::Option* add_workers_option(CLI::App* command, const std::string& name, Integer& workers, const std::string& help) {
  const auto most = static_cast<Integer>(max_workers());
  return command->add_option(name, workers, fmt::format("{}; 1 to {}", help, most))
      ->type_name("N")
      ->check(whole_number<Integer>(1, most));
}

}  // namespace normcheck::harness::cli
