// What each fuzzing process of a `normcheck fuzz` run leaves beside the run's finding store
// (finding_store.hpp), for the two things the store cannot say:
//   - which input a process was running when it vanished without any report: a kernel that
//     calls _exit() runs no handler, so libFuzzer sees a job end with status 0 and writes no
//     artifact;
//   - whether any input was checked at all: a kernel that answers UNSUPPORTED to every
//     input has no finding, yet nothing was verified, and must not pass.
// Files, one set per process:
//   inflight-<pid>-<start>   a shared mapping: a state word, the input's size and its bytes, written
//                    before each input runs and marked done after; removed at a clean exit
//   checked-<pid>    created at the process's first input that was checked (not skipped)
// Writing costs a copy of the input (at most a few KiB) per execution; nothing is read back
// by the process itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace normcheck::harness {

class InputTrace {
 public:
  // An empty dir traces nothing (a target run by hand or by ClusterFuzz).
  explicit InputTrace(std::filesystem::path dir);
  // Removes inflight-<pid> unless an input is still running: exit() from inside a kernel
  // runs this destructor too, and that input is then the one to keep.
  ~InputTrace();
  InputTrace(const InputTrace&) = delete;
  InputTrace& operator=(const InputTrace&) = delete;

  void begin(const std::uint8_t* data, std::size_t size);
  void end();
  // Marks that this process checked an input; only the first call touches the disk.
  void checked();

 private:
  void open_mapping();

  std::filesystem::path dir_;
  std::filesystem::path inflight_file_;
  unsigned char* mapping_ = nullptr;  // nullptr: not traced (no dir, or the mapping failed)
  bool mapping_tried_ = false;
  bool checked_marked_ = false;
};

// The inputs that some process of the run was running when it ended (running, not done),
// each once, smallest first. An input too large for the mapping is left out.
std::vector<std::string> read_unfinished_inputs(const std::filesystem::path& dir);

// The input process pid was running when it ended, if it left one running (it vanished
// mid-input): the one to take out of the corpus before that job starts again.
std::optional<std::string> unfinished_input_of(const std::filesystem::path& dir, long pid);

// Whether any process of the run checked an input (a checked-<pid> file exists).
bool any_input_checked(const std::filesystem::path& dir);

}  // namespace normcheck::harness
