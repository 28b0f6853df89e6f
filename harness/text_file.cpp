// Whole-file reads for user input files.
#include "harness/text_file.hpp"

#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

#include "harness/case.hpp"

namespace normcheck::harness {

std::string read_text_file(const std::filesystem::path& path) {
  // An ifstream opens a directory on Linux and fails only at the read: say what it is.
  std::error_code error;
  if (std::filesystem::is_directory(path, error))
    throw InputError(fmt::format("{}: is a directory, expected a file", path.string()));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open the file", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError(fmt::format("{}: cannot read the file", path.string()));
  return text.str();
}

}  // namespace normcheck::harness
