// `normcheck list [--plugin LIB]...`: every kernel, built-ins first, one line each.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/common_options.hpp"
#include "impls/abi_names.hpp"
#include "impls/plugin_loader.hpp"

namespace normcheck::harness::cli {

void add_list_command(CLI::App& app, int& exit_code) {
  auto plugins = std::make_shared<std::vector<std::string>>();
  CLI::App* command = app.add_subcommand(
      "list", "List the kernels (built-in, then from plugins), one per line: name, op, dtypes, flags,\n"
              "compute precision, origin, and the bug class of mutants.");
  add_plugin_option(command, *plugins);
  command->callback([plugins, &exit_code] {
    for (const auto& info : impls::all_kernels(*plugins)) std::cout << impls::describe_kernel(info) << '\n';
    exit_code = 0;
  });
}

}  // namespace normcheck::harness::cli
