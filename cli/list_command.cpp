// `normcheck list [--plugin LIB]...`: every kernel, built-ins first, one line each: the forward
// kernels, then the backward ones (marked `backward` after the name).
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
              "compute precision, origin, and the bug class of mutants. Forward kernels first, then\n"
              "backward kernels, marked \"backward\" after the name.");
  add_plugin_option(command, *plugins);
  command->callback([plugins, &exit_code] {
    // Both lists are read before anything is printed: a bad plugin prints no partial list.
    const auto forward = impls::all_kernels(*plugins);
    const auto backward = impls::all_backward_kernels(*plugins);
    for (const auto& info : forward) std::cout << impls::describe_kernel(info) << '\n';
    for (const auto& info : backward) std::cout << impls::describe_kernel(info) << '\n';
    exit_code = 0;
  });
}

}  // namespace normcheck::harness::cli
