// Child-process plumbing for `normcheck fuzz` (fuzz_process.hpp): fork / exec, a pipe
// read with poll, libFuzzer status parsing and stopping the fuzzer on Ctrl-C.
#include "cli/fuzz_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "cli/fuzz_restart.hpp"
#include "harness/input_trace.hpp"

namespace normcheck::harness::cli {
namespace {

// How long a stopping fuzzer may take to exit before its process group is killed.
// libFuzzer exits at once on SIGTERM; the grace lets it remove its temporary folder.
constexpr double kStopGraceSeconds = 3;

volatile std::sig_atomic_t interrupt_count = 0;
volatile std::sig_atomic_t last_interrupt = 0;

extern "C" void note_interrupt(int signal_number) {
  interrupt_count = interrupt_count + 1;
  last_interrupt = signal_number;
}

// Counts SIGINT / SIGTERM for the lifetime of one run (the loop acts on them), restoring
// the old handlers after it.
class InterruptGuard {
 public:
  InterruptGuard() {
    interrupt_count = 0;
    struct sigaction action {};
    action.sa_handler = note_interrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~InterruptGuard() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

// Reads the number after `key` in line ("cov: 123" -> 123); false when absent.
bool number_after(const std::string& line, const std::string& key, std::int64_t& out) {
  const auto at = line.find(key);
  if (at == std::string::npos) return false;
  const char* start = line.c_str() + at + key.size();
  while (*start == ' ' || *start == ':') ++start;
  char* end = nullptr;
  const long long value = std::strtoll(start, &end, 10);
  if (end == start) return false;
  out = value;
  return true;
}

struct Child {
  pid_t pid = -1;
  int output_fd = -1;
};

// fork + exec with stdout and stderr on one pipe; the child leads its own process group
// so that whatever the kernel starts gets our forwarded signals with it. The pipe is
// close-on-exec: a program another thread starts meanwhile must not hold it open (the
// read would never see EOF). dup2 clears the flag on the child's stdout and stderr.
Child spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env, bool own_group) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    const std::string reason = std::strerror(errno);
    close(fds[0]);
    close(fds[1]);
    throw std::runtime_error("fork: " + reason);
  }
  if (pid == 0) {
    if (own_group) setpgid(0, 0);
    // Where normcheck's stdout or stderr was closed, the write end may have its number,
    // and dup2 onto itself would keep close-on-exec: then it moves above them first. The
    // pipe's own descriptors need no close: the exec drops them.
    const int write_end = fds[1] > STDERR_FILENO ? fds[1] : fcntl(fds[1], F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    dup2(write_end, STDOUT_FILENO);
    dup2(write_end, STDERR_FILENO);
    for (const auto& [key, value] : env) setenv(key.c_str(), value.c_str(), 1);
    execv(args[0], args.data());
    std::fprintf(stderr, "normcheck: cannot run %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  if (own_group) setpgid(pid, pid);  // also here: no race with the first kill()
  close(fds[1]);
  return {pid, fds[0]};
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 3;
}

// The raw waitpid status (for decode_status), retried across signals.
int wait_raw(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

int wait_status(pid_t pid) { return decode_status(wait_raw(pid)); }

}  // namespace

bool parse_fuzz_stats_line(const std::string& line, FuzzStats& stats) {
  if (line.empty() || line[0] != '#' || line.find("cov:") == std::string::npos) return false;
  number_after(line, "#", stats.executions);
  number_after(line, "cov:", stats.coverage);
  number_after(line, "ft:", stats.features);
  number_after(line, "corp:", stats.corpus);
  number_after(line, "exec/s", stats.exec_per_second);
  const auto counts = line.find("oom/timeout/crash:");
  if (counts != std::string::npos) {
    std::istringstream in(line.substr(counts + 18));
    char slash = 0;
    in >> stats.ooms >> slash >> stats.timeouts >> slash >> stats.crashes;
  }
  return true;
}

namespace {

// libFuzzer's exit status after SIGINT / SIGTERM (-interrupted_exitcode): stopped from
// outside, not ended by an input.
constexpr int kInterruptedExit = 72;

// One job of the run: its libFuzzer process (the incarnation running now; a new one after
// each early end) and what has been read from it.
struct Running {
  const FuzzProcessSpec* spec = nullptr;
  Child child;
  std::ofstream log;
  std::string pending;
  FuzzStats stats;                           // executions summed over its incarnations
  std::int64_t finished_executions = 0;      // of the incarnations that ended
  std::int64_t incarnation_executions = 0;   // of the one running now
  bool done_line = false;                    // it said "Done N runs": it ran out its time
  bool saw_inited = false;                   // it has read the corpus ("#N INITED ...")
  std::optional<WrittenArtifact> ended_by;   // the input it wrote an artifact for
  double started_at = 0;                     // seconds into the run
  double corpus_seconds = 0;                 // the first incarnation's time to read the corpus
  int restarts_without_progress = 0;
  bool open = true;  // its pipe not at EOF yet
  bool reaped = false;
  bool finished = false;  // the job is over: no incarnation running, none to start
  int status = 0;
  double gone_at = 0;
};

FuzzStats summed(const std::vector<Running>& running) {
  FuzzStats total;
  for (std::size_t i = 0; i < running.size(); ++i) {
    const FuzzStats& s = running[i].stats;
    total.executions += s.executions;
    total.exec_per_second += s.exec_per_second;
    total.crashes += s.crashes;
    total.timeouts += s.timeouts;
    total.ooms += s.ooms;
  }
  // Edge counts of two builds do not add up, and every job feeds one corpus: the first
  // (a throughput job) speaks for them.
  if (!running.empty()) {
    total.coverage = running.front().stats.coverage;
    total.features = running.front().stats.features;
    total.corpus = running.front().stats.corpus;
  }
  return total;
}

void signal_groups(const std::vector<Running>& running, int signal_number) {
  for (const auto& r : running) {
    if (!r.finished) kill(-r.child.pid, signal_number);
  }
}

// One line of a job's output: its log, its status, the artifacts it wrote.
void take_line(Running& r, const std::string& line) {
  r.log << line << '\n';
  WrittenArtifact artifact;
  if (parse_artifact_line(line, artifact)) {
    // A slow unit is reported and fuzzing goes on; the others end the process.
    if (artifact.kind == ArtifactKind::crash || artifact.kind == ArtifactKind::leak) ++r.stats.crashes;
    if (artifact.kind == ArtifactKind::timeout) ++r.stats.timeouts;
    if (artifact.kind == ArtifactKind::out_of_memory) ++r.stats.ooms;
    if (artifact.kind != ArtifactKind::slow_unit) r.ended_by = artifact;
  }
  if (is_done_line(line)) r.done_line = true;
  // The final count (-print_final_stats=1), exact where the last status line was earlier.
  constexpr std::string_view kExecuted = "stat::number_of_executed_units:";
  if (line.rfind(kExecuted, 0) == 0) r.incarnation_executions = std::atoll(line.c_str() + kExecuted.size());
  r.stats.executions = r.finished_executions + r.incarnation_executions;
}

// Reads what is ready on r's pipe; false at EOF.
bool read_lines(Running& r, double elapsed, std::vector<Running>& all,
                const std::function<void(const FuzzStats&, double elapsed)>& on_stats) {
  char buffer[4096];
  const ssize_t got = read(r.child.output_fd, buffer, sizeof buffer);
  if (got < 0 && errno == EINTR) return true;
  if (got <= 0) return false;  // EOF: the process (and what it started) closed the pipe
  r.pending.append(buffer, static_cast<std::size_t>(got));
  std::size_t newline;
  while ((newline = r.pending.find('\n')) != std::string::npos) {
    const std::string line = r.pending.substr(0, newline);
    r.pending.erase(0, newline + 1);
    FuzzStats status = r.stats;
    status.executions = r.incarnation_executions;
    if (parse_fuzz_stats_line(line, status)) {
      r.incarnation_executions = status.executions;
      r.stats = status;
      if (!r.saw_inited && line.find("INITED") != std::string::npos) {
        r.saw_inited = true;
        if (r.corpus_seconds == 0) r.corpus_seconds = elapsed - r.started_at;
      }
    }
    take_line(r, line);
    if (line.rfind('#', 0) == 0 && on_stats) on_stats(summed(all), elapsed);
  }
  r.log.flush();  // `tail -f fuzz.log` follows the run (a few lines a second)
  return true;
}

void start_incarnation(Running& r, const std::vector<std::string>& argv, double elapsed) {
  r.child = spawn(argv, r.spec->env, true);
  r.open = true;
  r.reaped = false;
  r.status = 0;
  r.done_line = false;
  r.saw_inited = false;
  r.ended_by.reset();
  r.incarnation_executions = 0;
  r.started_at = elapsed;
}

// An incarnation of r ended (reaped, its pipe closed): decides whether the job goes on, and
// starts the next incarnation for the time left if so. It goes on when the incarnation
// ended early on an input: an artifact, or it vanished mid-input (the input trace), or it
// vanished after executing inputs. An input that ended it while it read the corpus is
// taken out of the corpus first. It ends when the run is stopping, when less time is left
// than the first incarnation took to read the corpus, when it ended normally (its time
// used, or stopped from outside), when it failed as it started (no input, no artifact), or
// after three incarnations in a row that neither read the corpus nor took an input out.
void end_incarnation(Running& r, double elapsed, double fuzz_seconds, bool stopping) {
  r.log << r.pending;
  r.pending.clear();
  close(r.child.output_fd);
  kill(-r.child.pid, SIGKILL);  // whatever the kernel started in the group goes with it
  const bool executed = r.incarnation_executions > 0;
  r.finished_executions += r.incarnation_executions;
  r.incarnation_executions = 0;
  r.stats.executions = r.finished_executions;
  const int code = decode_status(r.status);

  // Stopped by the run, its time used, or stopped from outside: a normal end. Nothing is
  // said, and nothing taken out (an interrupted process may have stopped mid-input).
  if (stopping || r.done_line || code == kInterruptedExit) {
    r.finished = true;
    return;
  }

  std::optional<std::string> culprit;
  if (r.ended_by) culprit = read_file_bytes(r.ended_by->path);
  if (!culprit) culprit = unfinished_input_of(r.spec->trace_dir, r.child.pid);
  int taken_out = 0;
  if (culprit && !r.saw_inited) {
    taken_out = quarantine_input(*culprit, max_len_of(r.spec->argv, 4096), r.spec->corpus_dirs, r.spec->quarantine_dir);
  }
  const bool progress = r.saw_inited || taken_out > 0;
  r.restarts_without_progress = progress ? 0 : r.restarts_without_progress + 1;

  const double left = fuzz_seconds - elapsed;
  std::string why_not;  // empty: restart
  if (!culprit && !executed && code != 0) {
    why_not = "it failed as it started";
  } else if (!culprit && !executed) {
    why_not = "it ended before any input";
  } else if (r.restarts_without_progress >= 3) {
    why_not = "three restarts in a row ended while reading the corpus on inputs not in it";
  } else if (left < std::max(1.0, r.corpus_seconds)) {
    why_not = "too little time is left to read the corpus again";
  }
  r.log << "normcheck fuzz: the fuzzer ended early (exit status " << code
        << (r.ended_by ? ", artifact " + r.ended_by->path.string() : std::string(culprit ? ", mid-input" : ""))
        << ")" << (taken_out > 0 ? "; its input is taken out of the corpus" : "");
  if (!why_not.empty()) {
    r.log << "; not restarted: " << why_not << "\n";
    r.log.flush();
    r.finished = true;
    return;
  }
  const auto seconds = static_cast<std::int64_t>(left);
  r.log << "; restarting it for the " << seconds << " s left\n";
  r.log.flush();
  try {
    start_incarnation(r, with_total_time(r.spec->argv, seconds), elapsed);
  } catch (const std::exception& error) {  // fork or pipe failed: this job ends, the others go on
    r.log << "normcheck fuzz: cannot restart the fuzzer: " << error.what() << "\n";
    r.finished = true;
  }
}

}  // namespace

FuzzRunResult run_fuzzer_processes(const std::vector<FuzzProcessSpec>& processes, double fuzz_seconds,
                                   double hard_deadline_seconds,
                                   const std::function<void(const FuzzStats&, double elapsed)>& on_stats) {
  InterruptGuard guard;
  const auto start = std::chrono::steady_clock::now();
  std::vector<Running> running(processes.size());
  for (std::size_t i = 0; i < processes.size(); ++i) {
    running[i].spec = &processes[i];
    running[i].log.open(processes[i].log_path);
    start_incarnation(running[i], processes[i].argv, 0);
  }
  FuzzRunResult result;
  int forwarded = 0;
  double stop_at = -1;    // when the groups were asked to stop (SIGTERM); -1: not yet
  double killed_at = -1;  // when they were killed (SIGKILL); -1: not yet
  for (;;) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (interrupt_count > forwarded) {
      forwarded = interrupt_count;
      result.interrupted = true;
      if (forwarded >= 2) {
        // The second one: stop at once; the caller collects nothing.
        signal_groups(running, SIGKILL);
        result.aborted = true;
        result.abort_signal = last_interrupt;
        break;
      }
      // On a terminal the progress line has no newline yet.
      std::fprintf(stderr, "%snormcheck fuzz: interrupted, stopping the fuzzer (interrupt again to stop at once)\n",
                   isatty(STDERR_FILENO) != 0 ? "\n" : "");
    }
    // Stopping sends SIGTERM, not SIGINT: a libFuzzer fork-mode parent (a target run by
    // hand, or a stand-in) runs each job through system(), which ignores SIGINT in the
    // caller while the job runs. libFuzzer handles SIGTERM as an interrupt (-handle_term=1);
    // the artifacts already written stay.
    if (stop_at < 0 && (result.interrupted || elapsed > hard_deadline_seconds)) {
      signal_groups(running, SIGTERM);
      stop_at = elapsed;
    }
    if (stop_at >= 0 && killed_at < 0 && elapsed > stop_at + kStopGraceSeconds) {
      signal_groups(running, SIGKILL);
      killed_at = elapsed;
    }
    // A killed group closes its pipe at once; should anything outside it still hold a
    // pipe open, stop reading rather than wait for it.
    if (killed_at >= 0 && elapsed > killed_at + 1) break;
    std::vector<pollfd> fds;
    std::vector<std::size_t> which;
    bool any_left = false;
    bool awaiting_exit = false;
    for (std::size_t i = 0; i < running.size(); ++i) {
      Running& r = running[i];
      if (r.finished) continue;
      // A process gone: what the kernel's children still write is read for a moment.
      if (!r.reaped && waitpid(r.child.pid, &r.status, WNOHANG) == r.child.pid) {
        r.reaped = true;
        r.gone_at = elapsed;
      }
      if (r.reaped && elapsed > r.gone_at + 1) r.open = false;
      if (r.reaped && !r.open) {
        end_incarnation(r, elapsed, fuzz_seconds, stop_at >= 0);
        if (r.finished) continue;
      }
      any_left = true;
      // A pipe at EOF is not polled (it would be ready at once, forever): the process is
      // reaped on a later turn, a few milliseconds on.
      if (!r.open) {
        awaiting_exit = true;
        continue;
      }
      fds.push_back(pollfd{r.child.output_fd, POLLIN, 0});
      which.push_back(i);
    }
    if (!any_left) break;
    const int ready = poll(fds.data(), fds.size(), awaiting_exit ? 5 : 200);
    if (ready <= 0) continue;  // timeout, or EINTR from a signal: the checks above see it
    for (std::size_t k = 0; k < fds.size(); ++k) {
      if (fds[k].revents == 0) continue;
      Running& r = running[which[k]];
      if (!read_lines(r, elapsed, running, on_stats)) r.open = false;
    }
  }
  for (auto& r : running) {
    if (!r.finished) {
      r.log << r.pending;
      close(r.child.output_fd);
      // Whatever is still alive after a stop that ends here: end it all.
      kill(-r.child.pid, SIGKILL);
      if (!r.reaped) r.status = wait_raw(r.child.pid);
      r.finished_executions += r.incarnation_executions;
      r.stats.executions = r.finished_executions;
    }
    result.per_process.push_back(r.stats);
  }
  for (auto& r : running) {
    const int code = decode_status(r.status);
    if (result.exit_status == 0) result.exit_status = code;
  }
  result.stats = summed(running);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

CapturedRun run_captured(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
  const Child child = spawn(argv, env, false);
  CapturedRun run;
  char buffer[4096];
  for (;;) {
    const ssize_t got = read(child.output_fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    run.output.append(buffer, static_cast<std::size_t>(got));
  }
  close(child.output_fd);
  run.exit_status = wait_status(child.pid);
  return run;
}

}  // namespace normcheck::harness::cli
