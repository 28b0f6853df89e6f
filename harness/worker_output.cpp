// The worker's captured stdout / stderr and its resident memory (worker_output.hpp).
#include "harness/worker_output.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <stdexcept>

namespace normcheck::harness {
namespace {

// The excerpt shows the start of what was written: the first lines are the ones a user
// recognizes (a debug print, an assertion message).
constexpr std::size_t kExcerptBytes = 240;

std::string escaped(const char* data, std::size_t size) {
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    const auto c = static_cast<unsigned char>(data[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

WorkerOutput::WorkerOutput() : fd_(::memfd_create("normcheck-kernel-output", MFD_CLOEXEC)) {
  if (fd_ < 0) throw std::runtime_error(fmt::format("memfd_create: {}", std::strerror(errno)));
}

WorkerOutput::~WorkerOutput() {
  if (fd_ >= 0) ::close(fd_);
}

void WorkerOutput::redirect_standard_streams() const {
  std::fflush(nullptr);
  // dup2 clears close-on-exec on the copies, as standard streams should be.
  ::dup2(fd_, STDOUT_FILENO);
  ::dup2(fd_, STDERR_FILENO);
  // Line-buffered, so what a kernel printed before it crashed is in the file.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  // A kernel that reads stdin gets EOF, not the terminal (its group is in the background,
  // so a read would stop it with SIGTTIN and look like a hang).
  if (const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC); null >= 0) {
    ::dup2(null, STDIN_FILENO);
    ::close(null);
  }
}

std::string WorkerOutput::take_excerpt() {
  const off_t size = ::lseek(fd_, 0, SEEK_END);
  if (size <= 0) return "";
  char head[kExcerptBytes];
  const ssize_t got = ::pread(fd_, head, sizeof head, 0);
  // Empty the file for the next case. The worker's stdout and stderr share this open file
  // (and its offset) with us, so rewinding here makes its next write land at 0. The
  // worker is idle between cases, so nothing writes meanwhile.
  if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) != 0) return "";
  if (got <= 0) return "";
  const auto shown = static_cast<std::size_t>(got);
  return fmt::format("kernel output, {} bytes: \"{}{}\"", size, escaped(head, shown),
                     static_cast<std::size_t>(size) > shown ? "..." : "");
}

std::int64_t resident_bytes(int pid) {
  std::ifstream statm(fmt::format("/proc/{}/statm", pid));
  std::int64_t total_pages = 0, resident_pages = 0;
  if (!(statm >> total_pages >> resident_pages)) return 0;
  return resident_pages * static_cast<std::int64_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace normcheck::harness
