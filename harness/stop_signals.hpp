// What SIGINT, SIGTERM and SIGHUP do to a command that runs kernels in isolated workers: every
// worker's process group is killed, then normcheck dies of the signal as it would have
// (a shell sees 130 after Ctrl-C). Without it a worker stuck in a hanging kernel would
// spin on after normcheck was gone.
#pragma once

namespace normcheck::harness {

// Installs the handler for SIGINT, SIGTERM and SIGHUP; a signal that was ignored when normcheck
// started (nohup, a background job of a script) stays ignored, as the caller asked.
void kill_workers_on_stop_signals();

}  // namespace normcheck::harness
