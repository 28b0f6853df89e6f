// Reading a user-named input file (case file, budget file): only a regular file, its
// size bounded before a byte is read, every problem one line naming the path.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace normcheck::harness {

// The largest budget file read: budgets for every kernel ever shipped fit in a few KiB.
inline constexpr std::uint64_t kMaxBudgetFileBytes = std::uint64_t{1} << 20;

// "" when path can be read as an input file (it exists, is a regular file or a symlink
// to one, and opens for reading), else "PATH: why" (strerror's reason, or "is a FIFO,
// expected a regular file", ...). Never blocks: a FIFO is recognised, not opened.
std::string input_file_problem(const std::filesystem::path& path);

// An input file open for reading. A FIFO would block the open or the read until a
// writer comes, /dev/zero never ends and a directory reads as an error only at the
// first read: only regular files are opened (with O_NONBLOCK, so that a FIFO swapped in
// between the check and the open does not hang it either), and the size is known, and
// bounded by max_bytes, before anything is read. Throws InputError naming the path.
class InputFile {
 public:
  InputFile(const std::filesystem::path& path, std::uint64_t max_bytes, std::string_view what);
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile();

  std::uint64_t size() const { return size_; }
  // Appends the next bytes, up to count and never past size(), to text.
  void read(std::string& text, std::uint64_t count);

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::uint64_t size_ = 0, offset_ = 0;
};

// The whole file, at most max_bytes (what names the kind of file in the message:
// "PATH: 5000000 bytes, more than a budget file may hold (1048576)").
std::string read_text_file(const std::filesystem::path& path, std::uint64_t max_bytes, std::string_view what);

}  // namespace normcheck::harness
