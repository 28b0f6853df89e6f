// Checks of output paths before a run (see output_paths.hpp).
#include "harness/output_paths.hpp"

#include <system_error>
#include <unistd.h>

#include <fmt/format.h>

#include "harness/case.hpp"

namespace normcheck::harness {
namespace {

[[noreturn]] void path_error(std::string_view flag, const std::filesystem::path& path, std::string_view what) {
  throw InputError(fmt::format("{} {}: {}", flag, path.string(), what));
}

bool writable(const std::filesystem::path& path) { return ::access(path.c_str(), W_OK) == 0; }

}  // namespace

void require_writable_file(std::string_view flag, const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  const auto status = fs::status(path, error);
  if (fs::is_directory(status)) path_error(flag, path, "is a directory, expected a file name");
  if (fs::exists(status)) {
    if (!writable(path)) path_error(flag, path, "the file is not writable");
    return;
  }
  const fs::path parent = path.has_parent_path() ? path.parent_path() : fs::path(".");
  if (!fs::is_directory(parent, error)) path_error(flag, path, fmt::format("no directory {}", parent.string()));
  if (!writable(parent)) path_error(flag, path, fmt::format("directory {} is not writable", parent.string()));
}

void require_writable_directory(std::string_view flag, const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  const auto status = fs::status(path, error);
  if (fs::exists(status) && !fs::is_directory(status)) path_error(flag, path, "exists and is not a directory");
  if (!fs::exists(status)) {
    fs::create_directories(path, error);
    if (error) path_error(flag, path, fmt::format("cannot create the directory: {}", error.message()));
  }
  if (!writable(path)) path_error(flag, path, "the directory is not writable");
}

}  // namespace normcheck::harness
