// The atomic writer and the staged directory: complete or absent after a write error,
// a full disk or a swap, never a truncated file or a mix of old and new.
#include "harness/atomic_file.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace normcheck::harness {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void put(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// Everything in dir but the names given: a leftover temporary file shows up here.
std::vector<std::string> others(const fs::path& dir, const std::vector<std::string>& expected) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (std::find(expected.begin(), expected.end(), name) == expected.end()) found.push_back(name);
  }
  return found;
}

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("normcheck_atomic_file_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    set_write_function_for_testing(nullptr);
    fs::remove_all(dir_);
  }
  fs::path dir_;
};

// A write that fails on its second call with errno (the first writes a few bytes: a
// truncated file is what a non-atomic writer would leave).
int g_calls = 0;
int g_errno = EIO;
ssize_t failing_write(int fd, const void* data, std::size_t size) {
  if (++g_calls >= 2) {
    errno = g_errno;
    return -1;
  }
  return ::write(fd, data, size < 7 ? size : 7);
}

// One byte per call: the writer must loop over short writes.
ssize_t one_byte_write(int fd, const void* data, std::size_t size) { return ::write(fd, data, size == 0 ? 0 : 1); }

TEST_F(AtomicFileTest, WritesAndReplacesWholeLeavingNoTemporaryFile) {
  const fs::path file = dir_ / "out.json";
  write_file_atomically(file, "first\n");
  EXPECT_EQ(slurp(file), "first\n");
  write_file_atomically(file, "second, longer\n");
  EXPECT_EQ(slurp(file), "second, longer\n");
  write_file_atomically(file, "");
  EXPECT_EQ(slurp(file), "");
  EXPECT_TRUE(others(dir_, {"out.json"}).empty());
}

TEST_F(AtomicFileTest, KeepsThePermissionsOfTheFileItReplaces) {
  const fs::path file = dir_ / "private.json";
  put(file, "old");
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
  write_file_atomically(file, "new");
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  // A new file gets 0666 less the umask, like any file a program creates (not mkstemp's 0600).
  const mode_t mask = ::umask(022);
  ::umask(mask);
  write_file_atomically(dir_ / "fresh.json", "x");
  EXPECT_EQ(static_cast<mode_t>(fs::status(dir_ / "fresh.json").permissions() & fs::perms::all), 0666 & ~mask);
}

TEST_F(AtomicFileTest, AFailedWriteKeepsThePreviousContentAndNamesThePathAndReason) {
  const fs::path file = dir_ / "report.json";
  put(file, "previous content");
  g_calls = 0;
  g_errno = EIO;
  set_write_function_for_testing(failing_write);
  try {
    write_file_atomically(file, std::string(10000, 'x'));
    FAIL() << "no error";
  } catch (const OutputError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(file.string()), std::string::npos) << message;
    EXPECT_NE(message.find(std::strerror(EIO)), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  EXPECT_EQ(slurp(file), "previous content");
  EXPECT_TRUE(others(dir_, {"report.json"}).empty());

  // Absent before, absent after.
  g_calls = 0;
  g_errno = ENOSPC;
  EXPECT_THROW(write_file_atomically(dir_ / "new.json", std::string(100, 'y')), OutputError);
  EXPECT_FALSE(fs::exists(dir_ / "new.json"));
  EXPECT_TRUE(others(dir_, {"report.json"}).empty());
}

TEST_F(AtomicFileTest, ShortWritesAreContinued) {
  set_write_function_for_testing(one_byte_write);
  write_file_atomically(dir_ / "slow.json", "every byte arrives");
  EXPECT_EQ(slurp(dir_ / "slow.json"), "every byte arrives");
}

TEST_F(AtomicFileTest, RefusesToReplaceWhatIsNotARegularFile) {
  // Renaming over /dev/full would replace the device for every program on the machine.
  EXPECT_THROW(write_file_atomically("/dev/full", "x"), OutputError);
  struct stat st {};
  ASSERT_EQ(::stat("/dev/full", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_THROW(write_file_atomically(dir_, "x"), OutputError);
  const fs::path fifo = dir_ / "pipe.json";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  EXPECT_THROW(write_file_atomically(fifo, "x"), OutputError);  // and does not block
  EXPECT_TRUE(fs::is_fifo(fifo));
}

TEST_F(AtomicFileTest, FollowsASymlinkAndKeepsIt) {
  fs::create_directories(dir_ / "real");
  put(dir_ / "real" / "target.json", "old");
  fs::create_symlink(dir_ / "real" / "target.json", dir_ / "link.json");
  write_file_atomically(dir_ / "link.json", "new");
  EXPECT_TRUE(fs::is_symlink(dir_ / "link.json"));
  EXPECT_EQ(slurp(dir_ / "real" / "target.json"), "new");
  EXPECT_TRUE(others(dir_ / "real", {"target.json"}).empty());
}

TEST_F(AtomicFileTest, AMissingDirectoryIsAnOutputError) {
  try {
    write_file_atomically(dir_ / "no" / "such" / "dir" / "x.json", "x");
    FAIL() << "no error";
  } catch (const OutputError& error) {
    EXPECT_NE(std::string(error.what()).find(std::strerror(ENOENT)), std::string::npos) << error.what();
  }
}

// A real full disk: a 64 KiB tmpfs (root only; skipped where mounting is not allowed).
TEST_F(AtomicFileTest, AFullDiskKeepsThePreviousContent) {
  const fs::path mount_point = dir_ / "small";
  fs::create_directories(mount_point);
  if (::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=64k") != 0)
    GTEST_SKIP() << "cannot mount a small tmpfs here: " << std::strerror(errno);
  // Unmounted whatever the test's outcome, before TearDown removes the folder.
  struct Unmount {
    fs::path at;
    ~Unmount() { ::umount(at.c_str()); }
  } unmount{mount_point};
  const fs::path file = mount_point / "out.json";
  put(file, "previous content");
  try {
    write_file_atomically(file, std::string(200 * 1024, 'z'));
    ADD_FAILURE() << "200 KiB fit in a 64 KiB file system";
  } catch (const OutputError& error) {
    EXPECT_NE(std::string(error.what()).find(std::strerror(ENOSPC)), std::string::npos) << error.what();
  }
  EXPECT_EQ(slurp(file), "previous content");
  EXPECT_TRUE(others(mount_point, {"out.json"}).empty());
}

TEST_F(AtomicFileTest, StagedDirectoryReplacesTheOldOneWhole) {
  const fs::path out = dir_ / "report";
  fs::create_directories(out / "cases");
  put(out / "old.json", "old");
  put(out / "cases" / "old-case.json", "old");
  {
    StagedDirectory staged("--out", out);
    EXPECT_EQ(staged.path().parent_path(), fs::canonical(dir_));
    put(staged.path() / "new.json", "new");
    // Until the commit, the old directory is untouched.
    EXPECT_TRUE(fs::exists(out / "old.json"));
    staged.commit();
  }
  EXPECT_EQ(slurp(out / "new.json"), "new");
  EXPECT_FALSE(fs::exists(out / "old.json"));
  EXPECT_FALSE(fs::exists(out / "cases"));
  EXPECT_TRUE(others(dir_, {"report"}).empty()) << "the old content or the staging directory was left";
}

TEST_F(AtomicFileTest, StagedDirectoryCreatesAMissingOneAndItsParents) {
  const fs::path out = dir_ / "a" / "b" / "report";
  StagedDirectory staged("--out", out);
  put(staged.path() / "index.html", "page");
  staged.commit();
  EXPECT_EQ(slurp(out / "index.html"), "page");
  EXPECT_TRUE(others(dir_ / "a" / "b", {"report"}).empty());
}

TEST_F(AtomicFileTest, StagedDirectoryWithoutCommitLeavesNothing) {
  const fs::path out = dir_ / "report";
  fs::create_directories(out);
  put(out / "old.json", "old");
  {
    StagedDirectory staged("--out", out);
    put(staged.path() / "half.json", "half");
  }
  EXPECT_EQ(slurp(out / "old.json"), "old");
  EXPECT_TRUE(others(dir_, {"report"}).empty());
}

TEST_F(AtomicFileTest, TwoStagedDirectoriesTheLastCommitWins) {
  const fs::path out = dir_ / "report";
  StagedDirectory first("--out", out), second("--out", out);
  put(first.path() / "first.json", "1");
  put(second.path() / "second.json", "2");
  first.commit();
  second.commit();
  EXPECT_FALSE(fs::exists(out / "first.json")) << "the two writers' files mixed";
  EXPECT_EQ(slurp(out / "second.json"), "2");
  EXPECT_TRUE(others(dir_, {"report"}).empty());
}

TEST_F(AtomicFileTest, StagedDirectoryRefusesAFile) {
  put(dir_ / "file", "x");
  try {
    StagedDirectory staged("--out", dir_ / "file");
    FAIL() << "no error";
  } catch (const OutputError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("--out"), std::string::npos) << message;
    EXPECT_NE(message.find("not a directory"), std::string::npos) << message;
  }
}

// A symlink to the report directory stays a symlink: the directory it names is replaced.
TEST_F(AtomicFileTest, StagedDirectoryFollowsASymlink) {
  fs::create_directories(dir_ / "real");
  put(dir_ / "real" / "old.json", "old");
  fs::create_directory_symlink(dir_ / "real", dir_ / "link");
  StagedDirectory staged("--out", dir_ / "link");
  put(staged.path() / "new.json", "new");
  staged.commit();
  EXPECT_TRUE(fs::is_symlink(dir_ / "link"));
  EXPECT_EQ(slurp(dir_ / "real" / "new.json"), "new");
  EXPECT_FALSE(fs::exists(dir_ / "real" / "old.json"));
}

}  // namespace
}  // namespace normcheck::harness
