// Options shared by several commands, defined once so their help and checks agree.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "harness/isolation.hpp"

namespace normcheck::harness::cli {

inline constexpr const char* kPluginHelp = "shared library exporting normcheck_plugin_kernels";

// --plugin LIB, repeatable.
inline CLI::Option* add_plugin_option(CLI::App* command, std::vector<std::string>& plugins) {
  return command->add_option("--plugin", plugins, fmt::format("{} (repeatable)", kPluginHelp));
}

// --plugin LIB, once (fuzz builds one target around one kernel).
inline CLI::Option* add_plugin_option(CLI::App* command, std::string& plugin) {
  return command->add_option("--plugin", plugin, kPluginHelp);
}

// --case-timeout-ms, bounded to [1, kMaxCaseTimeout].
inline CLI::Option* add_case_timeout_option(CLI::App* command, std::int64_t& milliseconds) {
  return command
      ->add_option("--case-timeout-ms", milliseconds, "a case running longer is a hang finding")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1}, static_cast<std::int64_t>(kMaxCaseTimeout.count())));
}

// A finite number of seconds >= minimum. CLI::PositiveNumber lets NaN through (every
// comparison with it is false), and a NaN time budget never runs out.
inline CLI::Validator finite_seconds(double minimum) {
  return CLI::Validator(
      [minimum](const std::string& text) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value) || !std::isfinite(value) || value < minimum ||
            (minimum == 0 && value <= 0)) {
          return minimum > 0 ? fmt::format("expected a finite number of seconds >= {}, got {}", minimum, text)
                             : fmt::format("expected a finite positive number of seconds, got {}", text);
        }
        return "";
      },
      minimum > 0 ? fmt::format("SECONDS>={}", minimum) : "SECONDS>0");
}

}  // namespace normcheck::harness::cli
