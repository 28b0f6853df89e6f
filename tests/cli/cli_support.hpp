// Running the normcheck binary from a test: a shell command line with its output captured,
// the way a user (or CI) runs it. Each test target defines NORMCHECK_BINARY.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace normcheck::harness::cli_testing {

namespace fs = std::filesystem;

struct Outcome {
  int exit_code = -1;
  std::string out, err;
};

inline std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline fs::path scratch_dir() {
  const fs::path dir = fs::temp_directory_path() / ("normcheck_cli_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

// Runs a shell command line (stdout and stderr captured). `timeout` turns a hang into a
// failed expectation (exit 124) instead of a stuck test.
inline Outcome run_shell(const std::string& command_line) {
  const fs::path dir = scratch_dir();
  const std::string command = "timeout 120 " + command_line + " >'" +
                              (dir / "out").string() + "' 2>'" + (dir / "err").string() + "'";
  const int status = std::system(command.c_str());
  Outcome outcome;
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  outcome.out = slurp(dir / "out");
  outcome.err = slurp(dir / "err");
  return outcome;
}

inline Outcome normcheck(const std::string& args) {
  std::string command = "'";
  command += NORMCHECK_BINARY;
  command += "' ";
  command += args;
  return run_shell(command);
}

}  // namespace normcheck::harness::cli_testing
