// Input files: only regular files are read, their size bounded before the first byte;
// a FIFO, a device, a symlink loop or an oversized file is one InputError naming it.
#include "harness/text_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "harness/case.hpp"

namespace normcheck::harness {
namespace {

namespace fs = std::filesystem;

class TextFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("normcheck_text_file_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

std::string error_of(const fs::path& path, std::uint64_t max_bytes = 1 << 20) {
  try {
    read_text_file(path, max_bytes, "test file");
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

TEST_F(TextFileTest, ReadsARegularFileWhole) {
  std::ofstream(dir_ / "a.toml") << "key = 1\n";
  EXPECT_EQ(read_text_file(dir_ / "a.toml", 100, "test file"), "key = 1\n");
  EXPECT_EQ(input_file_problem(dir_ / "a.toml"), "");
}

TEST_F(TextFileTest, AFifoIsRefusedWithoutBlocking) {
  const fs::path fifo = dir_ / "fifo.json";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  const auto start = std::chrono::steady_clock::now();
  const std::string message = error_of(fifo);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(message, fifo.string() + ": is a FIFO, expected a regular file");
  EXPECT_EQ(input_file_problem(fifo), message);
}

TEST_F(TextFileTest, DevicesAndDirectoriesAreRefused) {
  EXPECT_EQ(error_of("/dev/zero"), "/dev/zero: is a character device, expected a regular file");
  EXPECT_EQ(error_of(dir_), dir_.string() + ": is a directory, expected a file");
}

TEST_F(TextFileTest, TheSizeIsBoundedBeforeReading) {
  std::ofstream(dir_ / "big.toml") << std::string(5000, ' ');
  const std::string message = error_of(dir_ / "big.toml", 4096);
  EXPECT_NE(message.find("5000 bytes, more than a test file may hold (4096 bytes)"), std::string::npos) << message;
}

TEST_F(TextFileTest, ASymlinkLoopAndAMissingFileAreOneLineWithTheReason) {
  fs::create_symlink(dir_ / "b", dir_ / "a");
  fs::create_symlink(dir_ / "a", dir_ / "b");
  EXPECT_EQ(error_of(dir_ / "a"), (dir_ / "a").string() + ": " + std::strerror(ELOOP));
  EXPECT_EQ(error_of(dir_ / "missing"), (dir_ / "missing").string() + ": " + std::strerror(ENOENT));
}

}  // namespace
}  // namespace normcheck::harness
