// Checks of output paths before a run (see output_paths.hpp).
#include "harness/output_paths.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "harness/atomic_file.hpp"
#include "harness/input_error.hpp"

namespace normcheck::harness {
namespace {

[[noreturn]] void path_error(std::string_view flag, const std::filesystem::path& path, std::string_view what) {
  throw InputError(fmt::format("{} {}: {}", flag, path.string(), what));
}

// access(W_OK) answers from the permission bits alone: for root it says yes to /proc,
// where no file can be created, and the run then failed at its end. Creating a file is
// the real test, and its errno is the reason to print.

// "" when files can be created in the directory, else why not.
std::string create_in_error(const std::filesystem::path& dir) {
  std::string name = (dir / ".normcheck-write-test-XXXXXX").string();
  const int fd = ::mkstemp(name.data());
  if (fd < 0) return std::strerror(errno);
  ::close(fd);
  ::unlink(name.c_str());
  return "";
}

}  // namespace

void require_writable_file(std::string_view flag, const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  if (path.empty()) path_error(flag, path, "empty file name");
  // The file is written as a temporary beside it and renamed over it (atomic_file.hpp):
  // what must be writable is its directory, and what is there must be a regular file
  // (renaming over /dev/full or a FIFO would replace the device or the pipe).
  const fs::path target = resolved_output_path(path);
  std::error_code error;
  const auto status = fs::status(target, error);
  if (error && error != std::errc::no_such_file_or_directory) path_error(flag, path, error.message());
  if (fs::is_directory(status)) path_error(flag, path, "is a directory, expected a file name");
  if (fs::exists(status) && !fs::is_regular_file(status))
    path_error(flag, path, "is not a regular file (outputs are replaced whole; - is standard output)");
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(parent, error)) path_error(flag, path, fmt::format("no directory {}", parent.string()));
  if (const std::string why = create_in_error(parent); !why.empty()) path_error(flag, path, fmt::format("cannot create: {}", why));
}

bool same_output_file(const std::filesystem::path& a, const std::filesystem::path& b) {
  namespace fs = std::filesystem;
  if (a == "-" || b == "-") return a == b;
  std::error_code error_a, error_b;
  if (fs::equivalent(a, b, error_a)) return true;  // both exist: hard links, symlinks, ./a
  const fs::path full_a = fs::weakly_canonical(fs::absolute(resolved_output_path(a)), error_a);
  const fs::path full_b = fs::weakly_canonical(fs::absolute(resolved_output_path(b)), error_b);
  return !error_a && !error_b && full_a == full_b;
}

void require_writable_directory(std::string_view flag, const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  if (path.empty()) path_error(flag, path, "empty directory name");
  std::error_code error;
  const auto status = fs::status(path, error);
  if (fs::exists(status) && !fs::is_directory(status)) path_error(flag, path, "exists and is not a directory");
  if (!fs::exists(status)) {
    fs::create_directories(path, error);
    if (error) path_error(flag, path, fmt::format("cannot create the directory: {}", error.message()));
  }
  if (const std::string why = create_in_error(path); !why.empty())
    path_error(flag, path, fmt::format("cannot create files in it: {}", why));
}

}  // namespace normcheck::harness
