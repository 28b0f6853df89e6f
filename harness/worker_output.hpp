// What a kernel writes to stdout and stderr inside an isolated worker: captured in a memory
// file the parent reads after each case, so a chatty or lying kernel ("all within budget")
// never reaches normcheck's own output, and a bounded excerpt goes with its finding.
#pragma once

#include <cstdint>
#include <string>

namespace normcheck::harness {

class WorkerOutput {
 public:
  WorkerOutput();  // throws std::runtime_error when no memory file can be made
  ~WorkerOutput();
  WorkerOutput(const WorkerOutput&) = delete;
  WorkerOutput& operator=(const WorkerOutput&) = delete;

  int fd() const { return fd_; }
  // In the worker, after fork: stdout and stderr go to the memory file.
  void redirect_standard_streams() const;
  // In the parent: "" when nothing was written since the last take, else a one-line
  // excerpt ("kernel output, 2858 bytes: \"...\""), control characters escaped; the file
  // is emptied for the next case.
  std::string take_excerpt();

 private:
  int fd_ = -1;
};

// The resident memory of a process in bytes (from /proc/PID/statm), 0 when unknown.
std::int64_t resident_bytes(int pid);

}  // namespace normcheck::harness
