// The fuzzing processes' input trace: an input still running when its process ends is
// read back (each once, smallest first), one that finished is not and leaves no file, and
// a process that checked an input says so; with no directory nothing is written.
#include "harness/input_trace.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace normcheck::harness {
namespace {

namespace fs = std::filesystem;

class InputTraceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("normcheck_input_trace_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A child process that traces `input` and ends as a kernel might: inside the input with
  // _exit() (no destructor runs), or after it, by returning normally.
  void run_child(const std::string& input, bool dies_inside, bool checks) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      {
        InputTrace trace(dir_);
        trace.begin(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
        if (checks) trace.checked();
        if (dies_inside) ::_exit(0);
        trace.end();
      }
      ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  }

  std::size_t files() const {
    std::size_t count = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_)) ++count;
    return count;
  }

  fs::path dir_;
};

TEST_F(InputTraceTest, AnInputRunningWhenItsProcessEndedIsReadBack) {
  run_child("second input, the longer", true, false);
  run_child("first", true, false);
  run_child("first", true, false);  // the same input from two jobs is one
  run_child("finished normally", false, false);
  const std::vector<std::string> unfinished = read_unfinished_inputs(dir_);
  ASSERT_EQ(unfinished.size(), 2u);
  EXPECT_EQ(unfinished[0], "first");  // smallest first
  EXPECT_EQ(unfinished[1], "second input, the longer");
  EXPECT_FALSE(any_input_checked(dir_));
}

TEST_F(InputTraceTest, AFinishedInputLeavesNothingAndACheckedInputIsMarked) {
  run_child("done", false, true);
  EXPECT_TRUE(read_unfinished_inputs(dir_).empty());
  EXPECT_TRUE(any_input_checked(dir_));
  EXPECT_EQ(files(), 1u);  // the checked marker only: the in-flight file went with a clean exit
}

TEST_F(InputTraceTest, AnEmptyInputAndNoDirectoryAreHandled) {
  run_child("", true, false);
  const std::vector<std::string> unfinished = read_unfinished_inputs(dir_);
  ASSERT_EQ(unfinished.size(), 1u);
  EXPECT_TRUE(unfinished[0].empty());
  // Without a directory (a target run by hand) nothing is traced or written.
  InputTrace untraced{fs::path()};
  const std::uint8_t byte = 1;
  untraced.begin(&byte, 1);
  untraced.checked();
  untraced.end();
  EXPECT_TRUE(read_unfinished_inputs(dir_ / "absent").empty());
  EXPECT_FALSE(any_input_checked(dir_ / "absent"));
}

}  // namespace
}  // namespace normcheck::harness
