// The normcheck command line: builds the app from the commands and maps errors to exit codes.
#include <exception>
#include <iostream>

#include "harness/case.hpp"
#include "harness/cli/commands.hpp"
#include "impls/plugin_loader.hpp"

namespace {

constexpr const char* kExitCodes =
    "Exit codes:\n"
    "  0  every check within budget (or the command succeeded)\n"
    "  1  findings: a kernel broke its budget or a contract\n"
    "  2  bad usage or bad input (the message names the file and the field)\n"
    "  3  internal error\n";

}  // namespace

int main(int argc, char** argv) {
  namespace cli = normcheck::harness::cli;
  CLI::App app{
      "normcheck: numerical verification and fuzzing harness for LayerNorm / RMSNorm kernels.\n"
      "Compares kernels against an exact, correctly rounded oracle.",
      "normcheck"};
  app.footer(kExitCodes);
  app.require_subcommand(1);
  int exit_code = 0;
  cli::add_oracle_command(app, exit_code);
  cli::add_list_command(app, exit_code);
  cli::add_check_command(app, exit_code);
  cli::add_replay_command(app, exit_code);
  cli::add_report_command(app, exit_code);
  cli::add_fuzz_command(app, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // Help and version print and exit 0; every real parse error is bad usage.
    return app.exit(error) == 0 ? 0 : 2;
  } catch (const normcheck::harness::InputError& error) {
    std::cerr << "normcheck: " << error.what() << '\n';
    return 2;
  } catch (const normcheck::impls::PluginError& error) {
    std::cerr << "normcheck: " << error.what() << '\n';
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "normcheck: internal error: " << error.what() << '\n';
    return 3;
  } catch (...) {
    std::cerr << "normcheck: internal error: unknown exception\n";
    return 3;
  }
  return exit_code;
}
