// The stop-signal handler: kill the workers' groups, then re-raise with the default
// action so the exit status says which signal stopped normcheck.
#include "harness/stop_signals.hpp"

#include <csignal>

#include "harness/worker_groups.hpp"

namespace normcheck::harness {
namespace {

// SIGHUP too: a closed terminal stops a run as Ctrl-C does.
constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};

extern "C" void stop_on_signal(int signal_number) {
  kill_worker_groups();
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  ::sigaction(signal_number, &default_action, nullptr);
  // Blocked while this handler runs: delivered, and fatal, as it returns.
  ::raise(signal_number);
}

}  // namespace

void kill_workers_on_stop_signals() {
  for (const int signal_number : kStopSignals) {
    struct sigaction previous {};
    ::sigaction(signal_number, nullptr, &previous);
    if (previous.sa_handler == SIG_IGN) continue;
    struct sigaction action {};
    action.sa_handler = stop_on_signal;
    sigemptyset(&action.sa_mask);  // the other signal waits for this one: one re-raise, one status
    for (const int other : kStopSignals) sigaddset(&action.sa_mask, other);
    ::sigaction(signal_number, &action, nullptr);
  }
}

}  // namespace normcheck::harness
