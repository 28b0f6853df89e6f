// Child-process plumbing for `normcheck fuzz` (fuzz_process.hpp): fork / exec, a pipe
// read with poll, libFuzzer status parsing and signal forwarding.
#include "harness/cli/fuzz_process.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace normcheck::harness::cli {
namespace {

volatile std::sig_atomic_t interrupt_count = 0;

extern "C" void note_interrupt(int) { interrupt_count = interrupt_count + 1; }

// Installs the forwarding handlers for the lifetime of one run, restoring the old ones.
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
// so that libFuzzer's fork-mode workers get our forwarded signals together.
Child spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env, bool own_group) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    if (own_group) setpgid(0, 0);
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    for (const auto& [key, value] : env) setenv(key.c_str(), value.c_str(), 1);
    execv(args[0], args.data());
    std::fprintf(stderr, "normcheck: cannot run %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  if (own_group) setpgid(pid, pid);  // also here: no race with the first kill()
  close(fds[1]);
  return {pid, fds[0]};
}

int wait_status(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 3;
}

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

FuzzRunResult run_fuzzer_process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                                 const std::filesystem::path& log_path, double hard_deadline_seconds,
                                 const std::function<void(const FuzzStats&, double elapsed)>& on_stats) {
  InterruptGuard guard;
  std::ofstream log(log_path);
  const auto start = std::chrono::steady_clock::now();
  const Child child = spawn(argv, env, true);
  FuzzRunResult result;
  std::string pending;
  int forwarded = 0;
  bool deadline_hit = false;
  char buffer[4096];
  for (;;) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (interrupt_count > forwarded) {
      // First Ctrl-C: libFuzzer stops its workers and exits; the second one kills.
      kill(-child.pid, interrupt_count >= 2 ? SIGKILL : SIGINT);
      forwarded = interrupt_count;
      result.interrupted = true;
    }
    if (!deadline_hit && elapsed > hard_deadline_seconds) {
      kill(-child.pid, SIGINT);
      deadline_hit = true;
    } else if (deadline_hit && elapsed > hard_deadline_seconds + 30) {
      kill(-child.pid, SIGKILL);
    }
    pollfd pfd{child.output_fd, POLLIN, 0};
    const int ready = poll(&pfd, 1, 200);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    const ssize_t got = read(child.output_fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // EOF: the child and its workers closed the pipe
    pending.append(buffer, static_cast<std::size_t>(got));
    std::size_t newline;
    while ((newline = pending.find('\n')) != std::string::npos) {
      const std::string line = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      log << line << '\n';
      if (parse_fuzz_stats_line(line, result.stats) && on_stats) on_stats(result.stats, elapsed);
    }
  }
  log << pending;
  close(child.output_fd);
  result.exit_status = wait_status(child.pid);
  // Workers still alive after the parent went (they share our pipe no longer): end them.
  kill(-child.pid, SIGKILL);
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
