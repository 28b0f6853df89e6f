// Bounded reads of user input files (see text_file.hpp).
#include "harness/text_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "harness/input_error.hpp"

namespace normcheck::harness {
namespace {

// What a file that is not a regular one is, for "is a FIFO, expected a regular file".
const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// "" when st describes a regular file, else why it cannot be read as one.
std::string not_regular(const std::filesystem::path& path, const struct stat& st) {
  if (S_ISREG(st.st_mode)) return "";
  // The directory wording is the one case files and budgets have always used.
  if (S_ISDIR(st.st_mode)) return fmt::format("{}: is a directory, expected a file", path.string());
  return fmt::format("{}: is {}, expected a regular file", path.string(), kind_of(st.st_mode));
}

// A symlink loop (ELOOP), a missing file and a permission problem all come back here as
// the system's reason, on one line; std::filesystem would throw filesystem_error for the
// loop, which reads as an internal error.
std::string cannot_open(const std::filesystem::path& path, int error) {
  return fmt::format("{}: {}", path.string(), std::strerror(error));
}

}  // namespace

std::string input_file_problem(const std::filesystem::path& path) {
  if (path.empty()) return "expected a file, got \"\"";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return cannot_open(path, errno);
  if (std::string why = not_regular(path, st); !why.empty()) return why;
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return cannot_open(path, errno);
  ::close(fd);
  return "";
}

InputFile::InputFile(const std::filesystem::path& path, std::uint64_t max_bytes, std::string_view what) : path_(path) {
  // stat first: a device is never opened (opening one can have effects of its own).
  if (std::string why = input_file_problem(path); !why.empty()) throw InputError(why);
  fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd_ < 0) throw InputError(cannot_open(path, errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) throw InputError(cannot_open(path, errno));
  // The file opened may not be the one checked (a rename in between): check it again.
  if (std::string why = not_regular(path, st); !why.empty()) throw InputError(why);
  size_ = static_cast<std::uint64_t>(st.st_size);
  if (size_ > max_bytes)
    throw InputError(fmt::format("{}: {} bytes, more than a {} may hold ({} bytes)", path.string(), size_, what, max_bytes));
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

void InputFile::read(std::string& text, std::uint64_t count) {
  count = std::min(count, size_ - offset_);
  const std::size_t start = text.size();
  text.resize(start + count);
  std::size_t done = 0;
  while (done < count) {
    const ssize_t got = ::read(fd_, text.data() + start + done, count - done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw InputError(fmt::format("{}: cannot read: {}", path_.string(), std::strerror(errno)));
    if (got == 0) break;  // the file shrank since fstat: what is there is all there is
    done += static_cast<std::size_t>(got);
  }
  text.resize(start + done);
  offset_ += done;
  if (done < count) size_ = offset_;
}

std::string read_text_file(const std::filesystem::path& path, std::uint64_t max_bytes, std::string_view what) {
  InputFile file(path, max_bytes, what);
  std::string text;
  file.read(text, file.size());
  return text;
}

}  // namespace normcheck::harness
