// A fixed array of lock-free atomics: registered from any thread, read by a signal handler.
#include "harness/worker_groups.hpp"

#include <atomic>
#include <csignal>
#include <cstddef>

namespace normcheck::harness {
namespace {

// Far more than a command runs at once: report keeps at most a few workers per thread for
// each kernel in flight, check and replay one.
constexpr std::size_t kSlots = 1024;

static_assert(std::atomic<pid_t>::is_always_lock_free, "a signal handler reads the registry");
std::atomic<pid_t> groups[kSlots];  // 0: a free slot

}  // namespace

void register_worker_group(pid_t group) {
  for (auto& slot : groups) {
    pid_t free = 0;
    if (slot.compare_exchange_strong(free, group)) return;
  }
}

void unregister_worker_group(pid_t group) {
  for (auto& slot : groups) {
    pid_t expected = group;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

void kill_worker_groups() noexcept {
  for (auto& slot : groups) {
    const pid_t group = slot.load();
    if (group > 0) ::kill(-group, SIGKILL);
  }
}

}  // namespace normcheck::harness
