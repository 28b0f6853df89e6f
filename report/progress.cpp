// A one-line progress indicator for long report runs, shown only on a terminal.
#include "report/progress.hpp"

#include <cstdio>
#include <fmt/format.h>
#include <unistd.h>

namespace normcheck::harness::report {

bool stderr_is_terminal() { return isatty(STDERR_FILENO) != 0; }

Progress::Progress(std::size_t total, bool enabled) : total_(total), enabled_(enabled) {}

Progress::~Progress() { finish(); }

void Progress::step(const std::string& label) {
  std::lock_guard lock(mutex_);
  ++done_;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done_ != total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const std::string shown = label.size() > 50 ? label.substr(0, 47) + "..." : label;
  // \r plus clear-to-end-of-line redraws in place.
  fmt::print(stderr, "\rnormcheck report: {}/{} ({}%) {}\x1b[K", done_, total_, total_ ? done_ * 100 / total_ : 100,
             shown);
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  std::lock_guard lock(mutex_);
  if (!drawn_) return;
  fmt::print(stderr, "\r\x1b[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace normcheck::harness::report
