// A stopped normcheck leaves no worker behind: SIGINT kills every worker's process group
// before normcheck dies of the signal (exit status 130 in a shell), and a worker whose
// normcheck was SIGKILLed kills its own group. The worker is one spinning in the faulty
// plugin's hanging kernel, which writes its pid to $NORMCHECK_FAULTY_PID_FILE.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/cli/cli_support.hpp"

namespace normcheck::harness {
namespace {

namespace fs = std::filesystem;
using namespace cli_testing;
using Clock = std::chrono::steady_clock;

// The process group and state of a process from /proc/PID/stat, or nullopt when it is gone.
struct ProcessState {
  char state = '?';
  pid_t group = 0;
};
std::optional<ProcessState> process_state(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string text;
  if (!std::getline(in, text)) return std::nullopt;
  // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  ProcessState result;
  long parent = 0, group = 0;
  if (std::sscanf(text.c_str() + close + 1, " %c %ld %ld", &result.state, &parent, &group) != 3) return std::nullopt;
  result.group = static_cast<pid_t>(group);
  return result;
}

// Processes of the group that are still running (a zombie has ended: its parent, init
// once normcheck is gone, may be slow to reap it).
std::vector<std::string> live_members(pid_t group) {
  std::vector<std::string> members;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto state = process_state(name);
    if (state && state->group == group && state->state != 'Z' && state->state != 'X') members.push_back(name);
  }
  return members;
}

// normcheck started without a shell (a background job of a shell would ignore SIGINT),
// with the default action for every stop signal, its output into log.
pid_t start_normcheck(const std::vector<std::string>& args, const fs::path& pid_file, const fs::path& log) {
  std::vector<std::string> argv{NORMCHECK_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> pointers;
  for (auto& arg : argv) pointers.push_back(arg.data());
  pointers.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    for (const int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::setenv("NORMCHECK_FAULTY_PID_FILE", pid_file.c_str(), 1);
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    ::execv(pointers[0], pointers.data());
    ::_exit(127);
  }
  return pid;
}

// The pid the hanging kernel wrote, once it is spinning; 0 if it did not within the limit
// or normcheck ended first (then reaped).
pid_t wait_for_spinning_worker(pid_t normcheck, const fs::path& pid_file, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    std::ifstream in(pid_file);
    long pid = 0;
    if (in >> pid && pid > 0) return static_cast<pid_t>(pid);
    if (::waitpid(normcheck, nullptr, WNOHANG) == normcheck) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(normcheck, SIGKILL);
  ::waitpid(normcheck, nullptr, 0);
  return 0;
}

// waitpid with a limit; nullopt (and the process killed) when it did not end in time.
std::optional<int> wait_for_exit(pid_t pid, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return std::nullopt;
}

// Waits up to limit for the group to be empty; what is left is killed, and returned.
std::vector<std::string> survivors(pid_t group, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  std::vector<std::string> left = live_members(group);
  while (!left.empty() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    left = live_members(group);
  }
  if (!left.empty()) ::kill(-group, SIGKILL);  // a failed test leaves nothing spinning
  return left;
}

// Command lines on the hanging kernel with a case timeout far beyond the test's.
std::vector<std::string> check_args(const fs::path& dir) {
  return {"check",  "--plugin",   FAULTY_PLUGIN_PATH, "--kernel",          "faulty.layernorm.f32.hang",
          "--case-timeout-ms", "60000", "--cases", "500", "--no-shrink", "--save-failures", dir.string()};
}
std::vector<std::string> report_args(const fs::path& dir) {
  return {"report", "--quick", "--plugin", FAULTY_PLUGIN_PATH, "--kernel", "faulty.layernorm.f32.hang",
          "--kernel", "faulty.layernorm.f32.unbiased", "--threads", "2", "--case-timeout-ms", "60000",
          "--out", (dir / "report").string()};
}

// Runs the command, waits for its worker to spin in the hanging kernel, sends
// signal_number to normcheck, and checks how normcheck ended and that no process of the
// worker's group is left.
void stop_while_a_worker_spins(std::vector<std::string> (*args)(const fs::path&), int signal_number,
                               const std::string& label) {
  const fs::path dir = scratch_dir() / label;
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path pid_file = dir / "worker.pid";
  const fs::path log = dir / "normcheck.log";
  const pid_t normcheck = start_normcheck(args(dir), pid_file, log);
  ASSERT_GT(normcheck, 0);
  const pid_t worker = wait_for_spinning_worker(normcheck, pid_file, std::chrono::seconds(20));
  ASSERT_NE(worker, 0) << "the hanging kernel never ran:\n" << slurp(log);
  const auto before = process_state(std::to_string(worker));
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(before->group, worker) << "a worker leads a process group of its own";
  ASSERT_EQ(::kill(normcheck, signal_number), 0);
  const auto status = wait_for_exit(normcheck, std::chrono::seconds(5));
  ASSERT_TRUE(status.has_value()) << "normcheck still running 5 s after signal " << signal_number << ":\n"
                                  << slurp(log);
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == signal_number)
      << "status " << *status << " (a shell's $? is 128 + the signal only when it killed normcheck)\n" << slurp(log);
  const std::vector<std::string> left = survivors(worker, std::chrono::seconds(3));
  EXPECT_TRUE(left.empty()) << left.size() << " process(es) of the worker's group outlived normcheck, e.g. pid "
                            << (left.empty() ? "" : left.front());
  fs::remove_all(dir);
}

TEST(CliStopSignals, InterruptedCheckKillsItsWorkersAndDiesOfTheSignal) {
  stop_while_a_worker_spins(check_args, SIGINT, "check-sigint");
}

TEST(CliStopSignals, TerminatedCheckKillsItsWorkersAndDiesOfTheSignal) {
  stop_while_a_worker_spins(check_args, SIGTERM, "check-sigterm");
}

// Two threads, so the workers of the other kernel and the other pool live too.
TEST(CliStopSignals, InterruptedReportKillsItsWorkersAndDiesOfTheSignal) {
  stop_while_a_worker_spins(report_args, SIGINT, "report-sigint");
}

// normcheck cannot act on SIGKILL: the worker notices its parent is gone (PR_SET_PDEATHSIG).
TEST(CliStopSignals, AWorkerOfAKilledNormcheckKillsItsGroup) {
  stop_while_a_worker_spins(check_args, SIGKILL, "check-sigkill");
}

}  // namespace
}  // namespace normcheck::harness
