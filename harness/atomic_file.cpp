// Whole-file and whole-directory replacement for every output (see atomic_file.hpp).
#include "harness/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <random>
#include <system_error>

#include <fmt/format.h>

namespace normcheck::harness {
namespace {

namespace fs = std::filesystem;

std::atomic<WriteFunction> g_write{nullptr};

[[noreturn]] void fail(const fs::path& path, std::string_view what, int error) {
  throw OutputError(fmt::format("{}: {}: {}", path.string(), what, std::strerror(error)));
}

// A suffix nobody can guess, so that another user cannot plant the temporary name in a
// shared directory (O_EXCL | O_NOFOLLOW would refuse it, but every retry costs a call).
std::string random_suffix() {
  thread_local std::mt19937_64 generator([] {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device() ^ static_cast<std::uint64_t>(::getpid());
  }());
  return fmt::format("{}-{:016x}", ::getpid(), generator());
}

// The final name's part of a temporary name, short enough that the whole stays under
// NAME_MAX (255) whatever the final name's length.
std::string name_part(const fs::path& path) {
  std::string name = path.filename().string();
  if (name.size() > 160) name.resize(160);
  return name;
}

// Directory entries (a rename) reach the disk only with an fsync of the directory. Its
// failure loses nothing a kill could: the data is already in the kernel.
void fsync_directory(const fs::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

// Every byte or the errno of the first failed write; a short write is retried (it is
// how a full disk shows before ENOSPC) and EINTR is not an error.
int write_all(int fd, std::string_view text) {
  const WriteFunction injected = g_write.load();
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t wrote = injected != nullptr ? injected(fd, text.data() + done, text.size() - done)
                                              : ::write(fd, text.data() + done, text.size() - done);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (wrote == 0) return ENOSPC;  // no progress and no errno: treat as a full device
    done += static_cast<std::size_t>(wrote);
  }
  return 0;
}

fs::path parent_of(const fs::path& path) { return path.has_parent_path() ? path.parent_path() : fs::path("."); }

// A staging directory left by a writer that was killed: ".NAME.normcheck-[old-]PID-..."
// whose process is gone and which nobody touched for ten minutes (the age spares a live
// writer in another PID namespace or on another host sharing the directory).
bool abandoned_staging(const fs::directory_entry& entry, const std::string& prefix) {
  std::string name = entry.path().filename().string();
  if (name.rfind(prefix, 0) != 0) return false;
  name.erase(0, prefix.size());
  if (name.rfind("old-", 0) == 0) name.erase(0, 4);
  int pid = 0;
  const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), pid);
  if (error != std::errc() || end == name.data() || *end != '-' || pid <= 0) return false;
  if (::kill(pid, 0) == 0 || errno != ESRCH) return false;
  std::error_code ignored;
  const auto age = fs::file_time_type::clock::now() - fs::last_write_time(entry.path(), ignored);
  return !ignored && age > std::chrono::minutes(10);
}

}  // namespace

void set_write_function_for_testing(WriteFunction write) { g_write.store(write); }

fs::path resolved_output_path(const fs::path& path) {
  std::error_code error;
  if (!fs::is_symlink(fs::symlink_status(path, error))) return path;
  // A symlink is followed to the file it names (whose directory then holds the
  // temporary file); a dangling one is replaced like a missing file.
  const fs::path target = fs::canonical(path, error);
  return error ? path : target;
}

void write_file_atomically(const fs::path& path, std::string_view text) {
  const fs::path target = resolved_output_path(path);
  struct stat existing {};
  bool replaces = false;
  if (::stat(target.c_str(), &existing) == 0) {
    if (!S_ISREG(existing.st_mode))
      throw OutputError(fmt::format("{}: cannot write: exists and is not a regular file", path.string()));
    replaces = true;
  } else if (errno != ENOENT) {
    fail(path, "cannot write", errno);
  }
  const fs::path dir = parent_of(target);
  fs::path temp;
  int fd = -1;
  for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
    temp = dir / fmt::format(".{}.{}.tmp", name_part(target), random_suffix());
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) fail(path, "cannot write", errno);
  // The file it replaces keeps its permissions (a 0600 JSON stays private).
  if (replaces) (void)::fchmod(fd, existing.st_mode & 07777);
  int error = write_all(fd, text);
  // fsync reports the delayed write errors (EIO, ENOSPC on some file systems); a file
  // system that cannot sync (EINVAL) has nothing more to say.
  if (error == 0 && ::fsync(fd) != 0 && errno != EINVAL) error = errno;
  if (::close(fd) != 0 && error == 0 && errno != EINTR) error = errno;
  if (error == 0 && ::rename(temp.c_str(), target.c_str()) != 0) error = errno;
  if (error != 0) {
    ::unlink(temp.c_str());
    fail(path, "cannot write", error);
  }
  fsync_directory(dir);
}

StagedDirectory::StagedDirectory(std::string_view flag, const fs::path& final_path) : flag_(flag) {
  std::error_code error;
  const auto where = [&](const fs::path& p) { return fmt::format("{} {}", flag_, p.string()); };
  const auto status = fs::status(final_path, error);
  if (fs::exists(status)) {
    if (!fs::is_directory(status)) throw OutputError(fmt::format("{}: exists and is not a directory", where(final_path)));
    // The swap happens where the directory is: a symlink to it stays a symlink.
    final_ = fs::canonical(final_path, error);
    if (error) throw OutputError(fmt::format("{}: {}", where(final_path), error.message()));
  } else {
    final_ = fs::weakly_canonical(fs::absolute(final_path), error);
    if (error) final_ = fs::absolute(final_path).lexically_normal();
  }
  if (final_.filename().empty()) final_ = final_.parent_path();  // "out/" names "out"
  if (final_ == final_.root_path() || final_.filename() == "..")
    throw OutputError(fmt::format("{}: cannot replace this directory as a whole", where(final_path)));
  const fs::path parent = final_.parent_path();
  fs::create_directories(parent, error);
  if (error) throw OutputError(fmt::format("{}: cannot create the directory {}: {}", where(final_path), parent.string(), error.message()));
  const std::string prefix = fmt::format(".{}.normcheck-", name_part(final_));
  for (auto it = fs::directory_iterator(parent, error); !error && it != fs::directory_iterator(); it.increment(error)) {
    std::error_code ignored;
    if (abandoned_staging(*it, prefix)) fs::remove_all(it->path(), ignored);
  }
  for (int attempt = 0; attempt < 16; ++attempt) {
    staged_ = parent / fmt::format("{}{}", prefix, random_suffix());
    if (::mkdir(staged_.c_str(), 0777) == 0) return;
    if (errno != EEXIST) break;
  }
  const int why = errno;
  staged_.clear();
  throw OutputError(fmt::format("{}: cannot create files in {}: {}", where(final_path), parent.string(), std::strerror(why)));
}

StagedDirectory::~StagedDirectory() {
  if (committed_ || staged_.empty()) return;
  std::error_code ignored;
  fs::remove_all(staged_, ignored);
}

void StagedDirectory::commit() {
  const fs::path parent = final_.parent_path();
  fsync_directory(staged_);
  const auto fail_commit = [&](int error) {
    throw OutputError(fmt::format("{} {}: cannot put the new content in place: {}", flag_, final_.string(),
                                  std::strerror(error)));
  };
  // A concurrent writer may create or remove the final name between two calls: retry.
  for (int attempt = 0; attempt < 8; ++attempt) {
    // Nothing there yet (or an empty directory): a plain rename is atomic.
    if (::rename(staged_.c_str(), final_.c_str()) == 0) {
      committed_ = true;
      fsync_directory(parent);
      return;
    }
    if (errno != EEXIST && errno != ENOTEMPTY) fail_commit(errno);
    // The old content and the new trade names in one step; the old one is then removed.
    if (::renameat2(AT_FDCWD, staged_.c_str(), AT_FDCWD, final_.c_str(), RENAME_EXCHANGE) == 0) {
      committed_ = true;
      fsync_directory(parent);
      std::error_code ignored;
      fs::remove_all(staged_, ignored);
      return;
    }
    if (errno == ENOENT) continue;  // the final name went away in between
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) fail_commit(errno);
    // A file system without RENAME_EXCHANGE: the old directory steps aside first.
    const fs::path aside = parent / fmt::format(".{}.normcheck-old-{}", name_part(final_), random_suffix());
    if (::rename(final_.c_str(), aside.c_str()) != 0) {
      if (errno == ENOENT) continue;
      fail_commit(errno);
    }
    if (::rename(staged_.c_str(), final_.c_str()) != 0) {
      const int why = errno;
      (void)::rename(aside.c_str(), final_.c_str());  // put the old one back
      if (why == EEXIST || why == ENOTEMPTY) continue;
      fail_commit(why);
    }
    committed_ = true;
    fsync_directory(parent);
    std::error_code ignored;
    fs::remove_all(aside, ignored);
    return;
  }
  fail_commit(EBUSY);
}

}  // namespace normcheck::harness
