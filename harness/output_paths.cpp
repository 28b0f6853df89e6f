// Checks of output paths before a run (see output_paths.hpp).
#include "harness/output_paths.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "harness/case.hpp"

namespace normcheck::harness {
namespace {

[[noreturn]] void path_error(std::string_view flag, const std::filesystem::path& path, std::string_view what) {
  throw InputError(fmt::format("{} {}: {}", flag, path.string(), what));
}

// access(W_OK) answers from the permission bits alone: for root it says yes to /proc,
// where no file can be created, and the run then failed at its end. Creating a file is
// the real test, and its errno is the reason to print.

// "" when the existing file can be written, else why not. A regular file is opened for
// writing (not truncated); opening a FIFO could block until a reader comes, so anything
// else is asked of access().
std::string open_error(const std::filesystem::path& path, const std::filesystem::file_status& status) {
  if (!std::filesystem::is_regular_file(status)) return ::access(path.c_str(), W_OK) == 0 ? "" : std::strerror(errno);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return std::strerror(errno);
  ::close(fd);
  return "";
}

// "" when a new file can be created at path (it is removed again), else why not.
std::string create_error(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return std::strerror(errno);
  ::close(fd);
  ::unlink(path.c_str());
  return "";
}

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
  std::error_code error;
  const auto status = fs::status(path, error);
  if (fs::is_directory(status)) path_error(flag, path, "is a directory, expected a file name");
  if (fs::exists(status)) {
    if (const std::string why = open_error(path, status); !why.empty()) path_error(flag, path, fmt::format("cannot write: {}", why));
    return;
  }
  const fs::path parent = path.has_parent_path() ? path.parent_path() : fs::path(".");
  if (!fs::is_directory(parent, error)) path_error(flag, path, fmt::format("no directory {}", parent.string()));
  if (const std::string why = create_error(path); !why.empty()) path_error(flag, path, fmt::format("cannot create: {}", why));
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
