// The normcheck command line: builds the app from the commands and maps errors to exit codes.
#include <exception>
#include <iostream>
#include <memory>
#include <string>

#include "harness/input_error.hpp"
#include "harness/memory_reuse.hpp"
#include "cli/commands.hpp"
#include "cli/python_forwarding.hpp"
#include "harness/replay_line.hpp"
#include "impls/plugin_loader.hpp"

namespace {

constexpr const char* kExitCodes =
    "Exit codes:\n"
    "  0  every check within budget (or the command succeeded)\n"
    "  1  findings: a kernel broke its budget or a contract\n"
    "  2  bad usage or bad input (the message names the file and the field)\n"
    "  3  internal error\n";

// Help lines keep the left column to the value's name, default and REQUIRED. CLI11 also
// puts "Excludes: --time" there, which pushed the description onto a line of its own;
// the exclusion is part of what the option means, so it joins the description.
class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_option_opts(const CLI::Option* opt) const override {
    std::string out;
    if (opt->get_type_size() == 0) return out;  // a flag takes no value
    if (!opt->get_type_name().empty()) out += " " + opt->get_type_name();
    if (!opt->get_default_str().empty()) out += "=" + opt->get_default_str();
    if (opt->get_expected_max() == CLI::detail::expected_max_vector_size) out += " ...";
    if (opt->get_required()) out += " REQUIRED";
    return out;
  }
  std::string make_option_desc(const CLI::Option* opt) const override {
    std::string others;
    for (const CLI::Option* other : opt->get_excludes()) others += (others.empty() ? "" : ", ") + other->get_name();
    return others.empty() ? opt->get_description() : opt->get_description() + " (not with " + others + ")";
  }
};

std::string command_names(const CLI::App& app) {
  std::string names;
  for (const CLI::App* command : app.get_subcommands({})) names += (names.empty() ? "" : ", ") + command->get_name();
  return names;
}

// One line for every usage error. CLI11 adds "Run with --help for more information." on
// a second line, and says "A subcommand is required" for a misspelt command as well as
// for a missing one.
int usage_error(const CLI::App& app, const CLI::ParseError& error, int argc, char** argv) {
  if (app.get_subcommands().empty() && dynamic_cast<const CLI::RequiredError*>(&error) != nullptr) {
    // Before the command only --help is known: whatever stands first is the culprit.
    if (argc < 2) {
      std::cerr << "normcheck: no command given (commands: " << command_names(app) << "; see normcheck --help)\n";
    } else if (argv[1][0] == '-') {
      std::cerr << "normcheck: unknown option \"" << argv[1] << "\" before the command (commands: "
                << command_names(app) << ")\n";
    } else {
      std::cerr << "normcheck: unknown command \"" << argv[1] << "\" (commands: " << command_names(app) << ")\n";
    }
    return 2;
  }
  std::cerr << "normcheck: " << error.what() << '\n';
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  namespace cli = normcheck::harness::cli;
  normcheck::harness::keep_freed_memory_for_reuse();
  // A Python kernel runs in the Python package's engine: before this parser sees the command.
  if (int python_exit = 0; cli::forwards_to_python(argc, argv, python_exit)) return python_exit;
  CLI::App app{
      "normcheck: numerical verification and fuzzing harness for LayerNorm / RMSNorm kernels.\n"
      "Compares kernels against an exact, correctly rounded oracle.",
      "normcheck"};
  // Before the commands are added: each takes its formatter from the app.
  app.formatter(std::make_shared<HelpFormatter>());
  app.footer(kExitCodes);
  app.require_subcommand(1);
  // Every command normcheck prints (replay lines) starts with this executable's real path.
  if (const std::string self = normcheck::harness::this_program_path(); !self.empty()) {
    normcheck::harness::set_executable_path(self);
  }
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
    if (error.get_exit_code() == 0) return app.exit(error);
    return usage_error(app, error, argc, argv);
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
