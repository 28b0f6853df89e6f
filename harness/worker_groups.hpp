// The process groups of the live isolated workers, kept where a signal handler can reach
// them: on SIGINT / SIGTERM / SIGHUP normcheck kills every one before it exits (stop_signals.hpp),
// so a hanging kernel never outlives the command that ran it.
#pragma once

#include <sys/types.h>

namespace normcheck::harness {

// Records a worker's process group (its pid: each worker leads a group of its own). The
// registry holds a fixed number of groups, so that the handler reads it without locks or
// allocation; beyond that number a group is not recorded, and its worker still dies with
// normcheck (a worker kills its group when its parent process is gone, isolation.cpp).
void register_worker_group(pid_t group);

// Before the worker is reaped: a group id reused by an unrelated process is never killed.
void unregister_worker_group(pid_t group);

// SIGKILLs every recorded group. Async-signal-safe: lock-free atomics and kill() only.
void kill_worker_groups() noexcept;

}  // namespace normcheck::harness
