// A one-line progress indicator for long report runs, shown only when stderr is a
// terminal (so logs and CI output stay clean).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

namespace normcheck::harness::report {

class Progress {
 public:
  // enabled: usually isatty(STDERR_FILENO).
  Progress(std::size_t total, bool enabled);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void step(const std::string& label);  // thread-safe; redraws at most every 100 ms
  void finish();                        // clears the line

 private:
  std::mutex mutex_;
  std::size_t total_, done_ = 0;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

bool stderr_is_terminal();

}  // namespace normcheck::harness::report
