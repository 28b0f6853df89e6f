// `normcheck oracle CASE.json [--exact]`: the correctly rounded outputs of a case.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "harness/case.hpp"
#include "cli/commands.hpp"
#include "reference/backward_oracle.hpp"
#include "reference/oracle.hpp"

namespace normcheck::harness::cli {
namespace {

std::string json_values(const std::vector<double>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    out += '"' + hex_float(values[i]) + '"';
  }
  return out + "]";
}

// {"dx", "dgamma", "dbeta"}: the correctly rounded gradients of a backward case.
void print_backward(const Case& c, bool exact) {
  ref::BackwardOracleOptions options;
  options.force_exact = exact;
  const ref::BackwardOracleResult result = ref::compute_backward_oracle(backward_problem(c), options);
  std::cout << "{\"dx\": " << json_values(result.dx) << ",\n \"dgamma\": " << json_values(result.dgamma)
            << ",\n \"dbeta\": " << json_values(result.dbeta) << "}\n";
  if (result.dgamma_capped > 0) {
    // Not expected outside constructed cases (docs/oracle.md, "The backward pass").
    std::cerr << "normcheck oracle: " << result.dgamma_capped
              << " dgamma element(s) reached the precision cap undecided: each is one of the two neighbours of "
                 "its exact value\n";
  }
}

struct OracleArgs {
  std::string case_path;
  bool exact = false;
};

}  // namespace

void add_oracle_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<OracleArgs>();
  CLI::App* command = app.add_subcommand(
      "oracle",
      "Print the oracle's outputs for a case file as JSON: {\"y\": [...], \"mean\": [...], \"rstd\": [...]}\n"
      "(and \"residual_out\" for fused cases). y is correctly rounded to y_dtype, mean and rstd\n"
      "to f64, each a C99 hex float string or inf / -inf / nan. A backward case (\"direction\":\n"
      "\"backward\") gives {\"dx\": [...], \"dgamma\": [...], \"dbeta\": [...]}: dx correctly rounded\n"
      "to x_dtype, dgamma and dbeta to param_dtype.");
  command->add_option("CASE", args->case_path, "case file (docs/case-files.md)")->required()->type_name("FILE");
  command->add_flag("--exact", args->exact,
                    "decide every rounding by exact integer comparison (skip the fast path)");
  command->callback([args, &exit_code] {
    const Case c = read_case_file(args->case_path);
    exit_code = 0;
    if (c.direction == Direction::backward) {
      print_backward(c, args->exact);
      return;
    }
    ref::OracleOptions options;
    options.force_exact = args->exact;
    const ref::OracleResult result = ref::compute_oracle(c.problem, options);
    std::cout << "{\"y\": " << json_values(result.y) << ",\n \"mean\": " << json_values(result.mean)
              << ",\n \"rstd\": " << json_values(result.rstd);
    if (c.problem.has_residual()) std::cout << ",\n \"residual_out\": " << json_values(result.residual_out);
    std::cout << "}\n";
    exit_code = 0;
  });
}

}  // namespace normcheck::harness::cli
