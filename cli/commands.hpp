// The normcheck subcommands: each file in cli/ adds one to the app.
#pragma once

#include <CLI/CLI.hpp>

namespace normcheck::harness::cli {

// Each registers its subcommand; its callback sets exit_code (0 ok, 1 findings) and
// throws InputError / impls::PluginError for bad input (main maps those to exit 2).
void add_oracle_command(CLI::App& app, int& exit_code);
void add_list_command(CLI::App& app, int& exit_code);
void add_check_command(CLI::App& app, int& exit_code);
void add_replay_command(CLI::App& app, int& exit_code);
void add_report_command(CLI::App& app, int& exit_code);
void add_fuzz_command(CLI::App& app, int& exit_code);

}  // namespace normcheck::harness::cli
