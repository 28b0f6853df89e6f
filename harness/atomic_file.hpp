// Every file normcheck writes is complete or absent: written to a temporary name beside
// its final one, every write and the close checked, then renamed over the final name.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "harness/input_error.hpp"

namespace normcheck::harness {

// An output that could not be written (full disk, EIO, a read-only file system). The
// message is "PATH: cannot write: REASON" (REASON is strerror's). It is bad input to the
// CLI (exit 2): the fix is the user's (space, permissions, another path), not ours.
struct OutputError : InputError {
  using InputError::InputError;
};

// Writes text as the whole content of path. The temporary file is ".NAME.PID-RANDOM.tmp"
// in path's directory (the same file system, so the rename is atomic; its name does not
// end in .json, so `replay DIR` never picks it up), made with O_EXCL | O_NOFOLLOW and the
// permissions of the file it replaces (else 0666 less the umask). After the last write it
// is fsynced and closed (both checked), renamed over path, and the directory is fsynced.
// A symlink at path is followed: its target is replaced, the link kept. On any error
// the temporary file is removed, path keeps its previous content (or stays absent), and
// OutputError is thrown. A path that exists and is not a regular file (a directory,
// /dev/full, a FIFO) is refused: renaming over it would replace the device or the pipe.
void write_file_atomically(const std::filesystem::path& path, std::string_view text);

// Where a write to path lands: path with a symlink (chain) at its end resolved.
std::filesystem::path resolved_output_path(const std::filesystem::path& path);

// Tests inject a failing write (EIO, ENOSPC at the n-th call) through this; nullptr
// restores ::write. Not thread-safe: set it before any writer runs.
using WriteFunction = ssize_t (*)(int fd, const void* data, std::size_t size);
void set_write_function_for_testing(WriteFunction write);

// A directory that replaces another as a whole (the report's --out). The new content is
// written into a sibling temporary directory ".NAME.normcheck-PID-RANDOM"; commit()
// swaps it into place with renameat2(RENAME_EXCHANGE) and only then removes the old
// content, so a kill -9 at any moment leaves the old directory or the new one at the
// final name, never a mix; two concurrent writers each stage their own and the last
// commit wins. Where the file system cannot exchange, the old directory is first renamed
// aside (a kill between the two renames then leaves it under that name). Without a commit
// the destructor removes the staged directory; one left by a killed writer is removed by
// the next writer to the same name once its process is gone and it is ten minutes old.
class StagedDirectory {
 public:
  // Creates the staging directory (and final's missing parents). final, if it exists,
  // must be a directory (a symlink to one is followed). Throws OutputError naming flag.
  StagedDirectory(std::string_view flag, const std::filesystem::path& final_path);
  StagedDirectory(const StagedDirectory&) = delete;
  StagedDirectory& operator=(const StagedDirectory&) = delete;
  ~StagedDirectory();

  // Where to write the new content now.
  const std::filesystem::path& path() const { return staged_; }
  // Puts the staged directory at the final name; throws OutputError.
  void commit();

 private:
  std::string flag_;
  std::filesystem::path final_, staged_;
  bool committed_ = false;
};

}  // namespace normcheck::harness
