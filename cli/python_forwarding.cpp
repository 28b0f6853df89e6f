// Hands a --python command to the Python package's command line (python_forwarding.hpp).
#include "cli/python_forwarding.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "harness/replay_line.hpp"

namespace normcheck::harness::cli {

bool forwards_to_python(int argc, char** argv, int& exit_code) {
  if (argc < 2) return false;
  const std::string_view command = argv[1];
  if (command != "check" && command != "replay" && command != "report" && command != "list") return false;
  bool python = false;
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    python = python || arg == "--python" || arg.rfind("--python=", 0) == 0;
  }
  if (!python) return false;
#if defined(NORMCHECK_PYTHON_EXECUTABLE) && defined(NORMCHECK_PYTHON_PACKAGE_DIR)
  // The package's command line prints replay lines that start with this executable.
  const std::string self = this_program_path();
  if (!self.empty()) ::setenv("NORMCHECK_EXECUTABLE", self.c_str(), 1);
  const char* old_path = std::getenv("PYTHONPATH");
  std::string path = NORMCHECK_PYTHON_PACKAGE_DIR;
  if (old_path != nullptr && *old_path != '\0') path += std::string(":") + old_path;
  ::setenv("PYTHONPATH", path.c_str(), 1);
  std::vector<char*> args{const_cast<char*>(NORMCHECK_PYTHON_EXECUTABLE), const_cast<char*>("-m"),
                          const_cast<char*>("normcheck")};
  for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  ::execv(NORMCHECK_PYTHON_EXECUTABLE, args.data());
  std::cerr << "normcheck: --python: cannot run " << NORMCHECK_PYTHON_EXECUTABLE << ": " << std::strerror(errno)
            << '\n';
#else
  std::cerr << "normcheck: --python: this normcheck was built without the Python package (it needs pybind11-dev "
               "and python3-dev; scripts/build.sh installs them)\n";
#endif
  exit_code = 2;
  return true;
}

}  // namespace normcheck::harness::cli
