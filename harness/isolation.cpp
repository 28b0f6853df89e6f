// The forked worker behind IsolatedEvaluator: length-prefixed messages over two pipes,
// poll() for the per-case timeout, SIGKILL and waitpid() for hangs and crashes.
#include "harness/isolation.hpp"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <limits>
#include <algorithm>
#include <fcntl.h>
#include <fmt/format.h>
#include <mutex>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "harness/backward_evaluate.hpp"
#include "harness/wire_codec.hpp"
#include "harness/worker_groups.hpp"
#include "harness/worker_output.hpp"

namespace normcheck::harness {
namespace {

// Writes all bytes; false if the other end is gone (EPIPE: SIGPIPE is ignored).
bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t written = ::write(fd, data, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += written;
    size -= static_cast<std::size_t>(written);
  }
  return true;
}

bool send_message(int fd, const std::string& payload) {
  const std::uint64_t size = payload.size();
  return write_all(fd, reinterpret_cast<const char*>(&size), sizeof size) &&
         write_all(fd, payload.data(), payload.size());
}

enum class ReadStatus { ok, closed, timed_out, too_large, poll_failed };

// No reply is near this size (an evaluation is counters and a few messages): a larger
// length prefix is garbage from a kernel that scribbled over the worker's memory.
constexpr std::uint64_t kMaxReplyBytes = std::uint64_t{1} << 30;
// The request pipe's capacity: /proc/sys/fs/pipe-max-size's default, so no privilege is needed.
constexpr int kRequestPipeBytes = 1 << 20;

// The first byte of a reply says what follows.
constexpr char kEvaluationReply = 'E';
constexpr char kHarnessErrorReply = 'X';

// Reads exactly size bytes before the deadline (no deadline when has_deadline is false).
// exited_fd (a pidfd, or -1) becomes readable when the worker exits: a process the kernel
// forked may hold the pipe open, so the pipe alone would not say the worker is gone.
ReadStatus read_exact(int fd, char* data, std::size_t size, bool has_deadline,
                      std::chrono::steady_clock::time_point deadline, int exited_fd = -1) {
  while (size > 0) {
    if (has_deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return ReadStatus::timed_out;
      pollfd pfds[2] = {{fd, POLLIN, 0}, {exited_fd, POLLIN, 0}};
      const auto wait_ms = std::min<std::int64_t>(left.count(), kMaxCaseTimeout.count());
      const int ready = ::poll(pfds, exited_fd >= 0 ? 2 : 1, static_cast<int>(wait_ms));
      if (ready < 0 && errno == EINTR) continue;
      // Any other poll error: a read now could block past the deadline.
      if (ready < 0) return ReadStatus::poll_failed;
      if (ready == 0) return ReadStatus::timed_out;
      if (pfds[0].revents == 0 && pfds[1].revents != 0) return ReadStatus::closed;
    }
    const ssize_t got = ::read(fd, data, size);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return ReadStatus::closed;
    data += got;
    size -= static_cast<std::size_t>(got);
  }
  return ReadStatus::ok;
}

ReadStatus receive_message(int fd, std::string& payload, bool has_deadline,
                           std::chrono::steady_clock::time_point deadline,
                           std::uint64_t max_size = std::numeric_limits<std::uint64_t>::max(), int exited_fd = -1) {
  std::uint64_t size = 0;
  auto status = read_exact(fd, reinterpret_cast<char*>(&size), sizeof size, has_deadline, deadline, exited_fd);
  if (status != ReadStatus::ok) return status;
  if (size > max_size) return ReadStatus::too_large;
  payload.resize(size);
  return read_exact(fd, payload.data(), size, has_deadline, deadline, exited_fd);
}

// The case timeout grows with the case: the oracle and the contract re-runs of a legal
// 2^24-element case take seconds on a correct kernel. One more timeout per 2^20 elements.
std::chrono::milliseconds scaled_timeout(std::chrono::milliseconds base, std::int64_t elements) {
  const std::int64_t factor = 1 + elements / (std::int64_t{1} << 20);
  return std::min(kMaxCaseTimeout, base * factor);
}

// A worker whose resident memory grew by more than this since its first case is hoarding
// memory (a kernel that leaks on every call). Growth, not the total: a worker's resident
// set includes the pages it shares with a large parent (a report's samples, a Python
// process) from the fork. Generous, since the worker keeps buffers sized by its largest case.
std::int64_t memory_growth_limit_bytes(std::int64_t elements) {
  return (std::int64_t{2} << 30) + 256 * elements;
}

// The values of a case a worker holds: what its time and memory allowances scale with.
std::int64_t case_elements(const ref::NormProblem& problem) {
  return static_cast<std::int64_t>(problem.x.size() + problem.residual.size());
}
std::int64_t case_elements(const ref::BackwardProblem& problem) {
  return static_cast<std::int64_t>(problem.x.size() + problem.dy.size());
}

// The parent's ends of every live worker's pipes, across all evaluators in this process.
// fork() copies every open descriptor, so without this a worker would hold a copy of the
// write end of each older worker's request pipe, and that worker would never read EOF:
// stopping it (close, then waitpid) would wait until every younger worker had exited,
// forever when they are stopped in creation order. A new worker closes these first.
// The mutex is held from pipe creation until the ends are listed (and while they are
// closed and unlisted), so a fork on another thread never sees an unlisted end.
std::mutex worker_fds_mutex;
std::vector<int> worker_fds;

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Closes the parent's ends of one worker's pipes and drops them from worker_fds.
void close_worker_fds(int& to_worker, int& from_worker) {
  const std::lock_guard lock(worker_fds_mutex);
  std::erase_if(worker_fds, [&](int fd) { return fd == to_worker || fd == from_worker; });
  close_fd(to_worker);
  close_fd(from_worker);
}

// A crashing kernel must end the worker by its signal, which the parent reads from
// waitpid() and reports ("killed by signal 11"). Handlers inherited from the host
// program would change that: a sanitizer's turns the crash into "exited with status 1",
// and one that returns makes the faulting instruction run again, forever (a false hang).
// SIGINT / SIGTERM / SIGHUP too: normcheck's handler (stop_signals.hpp) would have a
// worker kill its siblings' groups.
void restore_default_signal_actions() {
  for (const int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGINT, SIGTERM, SIGHUP}) std::signal(sig, SIG_DFL);
}

// A worker ends, with whatever its kernel forked, once normcheck is gone: killed by
// SIGKILL (or crashed), normcheck cannot kill its workers itself. PR_SET_PDEATHSIG sends
// the signal when the *thread* that forked the worker exits, and report's threads end
// while workers they forked serve the other threads; so the signal is not SIGKILL but one
// whose handler asks getppid(), which changes only when the whole process is gone.
constexpr int kParentDeathSignal = SIGHUP;
volatile std::sig_atomic_t parent_process = 0;  // in a worker: the normcheck that forked it

extern "C" void on_parent_death(int /*signal*/) {
  if (::getppid() != parent_process) ::kill(0, SIGKILL);  // 0: the worker's own group
}

void die_with_parent(pid_t parent) {
  parent_process = parent;
  struct sigaction action {};
  action.sa_handler = on_parent_death;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(kParentDeathSignal, &action, nullptr);
  ::prctl(PR_SET_PDEATHSIG, kParentDeathSignal);
  // A parent that died before the prctl sends no signal: getppid() already says so.
  if (::getppid() != parent) ::kill(0, SIGKILL);
}

[[noreturn]] void worker_loop(const std::function<CaseEvaluation(std::string_view)>& serve, int in, int out) {
  std::string request;
  while (receive_message(in, request, false, {}) == ReadStatus::ok) {
    std::string reply;
    try {
      reply = kEvaluationReply + wire::encode_evaluation(serve(request));
    } catch (const std::exception& e) {
      // An exception is the harness's problem, not the kernel's: the parent raises it.
      reply = std::string(1, kHarnessErrorReply) + e.what();
    }
    std::fflush(nullptr);  // the kernel's buffered output belongs to this case
    if (!send_message(out, reply)) break;
  }
  // _exit: the parent's atexit handlers and stdio buffers are not the worker's to run.
  ::_exit(0);
}

}  // namespace

// Garbage on the pipe means the worker's memory is corrupt (the kernel wrote where it
// must not): a crash finding, and the worker is not trusted again.
IsolatedOutcome IsolatedEvaluator::malformed_reply(std::string_view what) {
  kill_worker();
  IsolatedOutcome outcome;
  outcome.kind = IsolatedOutcome::Kind::crashed;
  outcome.detail = fmt::format("malformed reply from the worker: {}", what);
  if (const std::string output = output_->take_excerpt(); !output.empty()) outcome.detail += "; " + output;
  return outcome;
}

std::optional<ViolationClass> IsolatedOutcome::first_class() const {
  switch (kind) {
    case Kind::crashed: return ViolationClass::crash;
    case Kind::timed_out: return ViolationClass::timeout;
    case Kind::evaluated: break;
  }
  if (evaluation.skipped || evaluation.violations.empty()) return std::nullopt;
  return evaluation.violations.front().klass;
}

bool IsolatedOutcome::has_class(ViolationClass klass) const {
  if (kind != Kind::evaluated) return first_class() == klass;
  return !evaluation.skipped && std::any_of(evaluation.violations.begin(), evaluation.violations.end(),
                                            [&](const Violation& v) { return v.klass == klass; });
}

std::string IsolatedOutcome::message_for(ViolationClass klass) const {
  const auto violation = violation_for(klass);
  return violation ? violation->message : "";
}

std::optional<Violation> IsolatedOutcome::violation_for(ViolationClass klass) const {
  if (kind != Kind::evaluated) return Violation{*first_class(), detail, {}};
  for (const auto& v : evaluation.violations)
    if (v.klass == klass) return v;
  return std::nullopt;
}

std::vector<Violation> IsolatedOutcome::violations() const {
  if (kind == Kind::evaluated) return evaluation.violations;
  return {{*first_class(), detail}};
}

IsolatedEvaluator::IsolatedEvaluator(impls::KernelInfo kernel, Budget budget, EvaluateOptions options,
                                     std::chrono::milliseconds case_timeout, bool isolate)
    : kernel_(std::move(kernel)),
      budget_(budget),
      options_(options),
      // Bounded so that now() + timeout cannot overflow.
      timeout_(std::clamp(case_timeout, std::chrono::milliseconds(1), kMaxCaseTimeout)),
      isolate_(isolate) {
  // A worker that died mid-request must not take the checker with it.
  if (isolate_) std::signal(SIGPIPE, SIG_IGN);
}

IsolatedEvaluator::IsolatedEvaluator(impls::BackwardKernelInfo kernel, Budget budget,
                                     std::chrono::milliseconds case_timeout, bool isolate)
    : kernel_(std::move(kernel)),
      budget_(budget),
      timeout_(std::clamp(case_timeout, std::chrono::milliseconds(1), kMaxCaseTimeout)),
      isolate_(isolate) {
  if (isolate_) std::signal(SIGPIPE, SIG_IGN);
}

std::string IsolatedEvaluator::kernel_name() const {
  return std::visit([](const auto& k) { return std::string(k.kernel->name); }, kernel_);
}

CaseEvaluation IsolatedEvaluator::serve(std::string_view request) const {
  if (const auto* forward = std::get_if<impls::KernelInfo>(&kernel_))
    return evaluate_case(*forward, wire::decode_problem(request), budget_, options_);
  return evaluate_backward_case(std::get<impls::BackwardKernelInfo>(kernel_), wire::decode_backward_problem(request),
                                budget_);
}

IsolatedEvaluator::~IsolatedEvaluator() {
  stop_worker();
  // Unlisted before it is closed: a later fork must not close whatever reuses the number.
  const std::lock_guard lock(worker_fds_mutex);
  std::erase(worker_fds, output_fd_listed_);
  output_.reset();
}

void IsolatedEvaluator::start_worker() {
  const std::lock_guard lock(worker_fds_mutex);
  // Close-on-exec: a program another thread starts (a browser, a fuzzer) must not keep a
  // worker's pipe open either. fork() without exec keeps them, as the worker needs.
  int request_pipe[2];
  int reply_pipe[2];
  if (::pipe2(request_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
  }
  if (::pipe2(reply_pipe, O_CLOEXEC) != 0) {
    const std::string reason = std::strerror(errno);
    ::close(request_pipe[0]);
    ::close(request_pipe[1]);
    throw std::runtime_error(fmt::format("pipe: {}", reason));
  }
  // A case's request is often a few hundred KiB: in the default 64 KiB pipe it would take
  // several wake-ups of the worker per case (7% of a backward kernel's profile went to them).
  // Best effort: a smaller pipe is only slower.
  ::fcntl(request_pipe[1], F_SETPIPE_SZ, kRequestPipeBytes);
  worker_fds.reserve(worker_fds.size() + 3);  // no allocation failure after the fork
  if (!output_) output_ = std::make_unique<WorkerOutput>();
  std::fflush(nullptr);  // or buffered output would be written twice
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const std::string reason = std::strerror(errno);
    for (const int fd : {request_pipe[0], request_pipe[1], reply_pipe[0], reply_pipe[1]}) {
      ::close(fd);
    }
    throw std::runtime_error(fmt::format("fork: {}", reason));
  }
  if (pid == 0) {
    // A process group of its own: whatever the kernel forks dies with the worker.
    ::setpgid(0, 0);
    restore_default_signal_actions();
    die_with_parent(parent);
    for (const int fd : worker_fds) {  // other workers' pipes and outputs (see worker_fds)
      if (fd != output_->fd()) ::close(fd);
    }
    ::close(request_pipe[1]);
    ::close(reply_pipe[0]);
    output_->redirect_standard_streams();
    worker_loop([this](std::string_view request) { return serve(request); }, request_pipe[0], reply_pipe[1]);
  }
  ::setpgid(pid, pid);  // also here, so a kill of the group cannot race the child's own call
  register_worker_group(pid);  // killed with the rest on SIGINT / SIGTERM (stop_signals.hpp)
  ::close(request_pipe[0]);
  ::close(reply_pipe[1]);
  pid_ = pid;
  to_worker_ = request_pipe[1];
  from_worker_ = reply_pipe[0];
  exited_fd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));  // -1 on old kernels: pipe EOF only
  worker_fds.push_back(to_worker_);
  worker_fds.push_back(from_worker_);
  if (output_fd_listed_ < 0) {
    worker_fds.push_back(output_->fd());
    output_fd_listed_ = output_->fd();
  }
  baseline_resident_ = -1;  // measured after the new worker's first case
  ++forks_;
}

void IsolatedEvaluator::stop_worker() {
  if (pid_ < 0) return;
  close_worker_fds(to_worker_, from_worker_);  // EOF ends the worker's loop
  (void)reap_worker();
  forget_worker();
}

int IsolatedEvaluator::reap_worker() {
  // Wait without reaping first: while the worker is a zombie its pid, and so its group id,
  // cannot be reused, so the group kill below hits only what the kernel left running.
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
  ::kill(-pid_, SIGKILL);
  unregister_worker_group(pid_);  // before the reap frees the id for reuse
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

void IsolatedEvaluator::forget_worker() {
  if (exited_fd_ >= 0) ::close(exited_fd_);
  exited_fd_ = -1;
  pid_ = -1;
}

void IsolatedEvaluator::kill_worker() {
  if (pid_ < 0) return;
  ::kill(-pid_, SIGKILL);
  stop_worker();
}

IsolatedOutcome IsolatedEvaluator::reap_after_failure(bool timed_out, std::chrono::milliseconds limit) {
  IsolatedOutcome outcome;
  // Always killed first: a worker that closed its reply pipe may still be running, and
  // waitpid would wait for it forever. SIGKILL leaves a worker that already died of a
  // signal reported by that signal.
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  close_worker_fds(to_worker_, from_worker_);
  const int status = reap_worker();
  forget_worker();
  if (timed_out) {
    outcome.kind = IsolatedOutcome::Kind::timed_out;
    outcome.detail = fmt::format("no result within {} ms", limit.count());
  } else if (WIFSIGNALED(status)) {
    outcome.kind = IsolatedOutcome::Kind::crashed;
    outcome.detail = fmt::format("killed by signal {} ({})", WTERMSIG(status), ::strsignal(WTERMSIG(status)));
  } else {
    outcome.kind = IsolatedOutcome::Kind::crashed;
    outcome.detail = fmt::format("worker exited with status {}", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  }
  if (const std::string output = output_->take_excerpt(); !output.empty()) outcome.detail += "; " + output;
  return outcome;
}

IsolatedOutcome IsolatedEvaluator::evaluate(const ref::NormProblem& problem) {
  const auto* forward = std::get_if<impls::KernelInfo>(&kernel_);
  if (forward == nullptr) throw std::logic_error(fmt::format("{} is a backward kernel: no forward case", kernel_name()));
  return evaluate_request(wire::encode_problem(problem), case_elements(problem),
                          [&] { return evaluate_case(*forward, problem, budget_, options_); });
}

IsolatedOutcome IsolatedEvaluator::evaluate(const ref::BackwardProblem& problem) {
  const auto* backward = std::get_if<impls::BackwardKernelInfo>(&kernel_);
  if (backward == nullptr) throw std::logic_error(fmt::format("{} is a forward kernel: no backward case", kernel_name()));
  return evaluate_request(wire::encode_backward_problem(problem), case_elements(problem),
                          [&] { return evaluate_backward_case(*backward, problem, budget_); });
}

IsolatedOutcome IsolatedEvaluator::evaluate_request(const std::string& request, std::int64_t elements,
                                                    const std::function<CaseEvaluation()>& in_process) {
  IsolatedOutcome outcome;
  if (!isolate_) {
    outcome.evaluation = in_process();
    return outcome;
  }
  if (pid_ < 0) start_worker();
  const std::chrono::milliseconds limit = scaled_timeout(timeout_, elements);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  if (!send_message(to_worker_, request)) return reap_after_failure(false, limit);
  std::string reply;
  switch (receive_message(from_worker_, reply, true, deadline, kMaxReplyBytes, exited_fd_)) {
    case ReadStatus::ok: break;
    case ReadStatus::closed: return reap_after_failure(false, limit);
    case ReadStatus::timed_out: return reap_after_failure(true, limit);
    case ReadStatus::too_large: return malformed_reply("a reply length beyond any real reply");
    case ReadStatus::poll_failed: {
      const std::string reason = std::strerror(errno);
      kill_worker();
      throw std::runtime_error(fmt::format("poll on the worker's pipe: {}", reason));
    }
  }
  if (!reply.empty() && reply.front() == kHarnessErrorReply) {
    (void)output_->take_excerpt();  // this case's output, not the next one's
    throw std::runtime_error(fmt::format("in the worker for {}: {}", kernel_name(), reply.substr(1)));
  }
  try {
    if (reply.empty() || reply.front() != kEvaluationReply) throw std::runtime_error("unknown reply tag");
    outcome.evaluation = wire::decode_evaluation(std::string_view(reply).substr(1));
  } catch (const std::runtime_error& e) {
    return malformed_reply(e.what());
  }
  // What the kernel printed goes with its finding, never to normcheck's own output.
  if (const std::string output = output_->take_excerpt(); !output.empty() && !outcome.evaluation.violations.empty()) {
    outcome.evaluation.violations.front().message += "; " + output;
  }
  const std::int64_t resident = resident_bytes(pid_);
  if (baseline_resident_ < 0) baseline_resident_ = resident;
  const std::int64_t allowed = memory_growth_limit_bytes(elements);
  if (const std::int64_t grown = resident - baseline_resident_; grown > allowed) {
    outcome.evaluation.violations.push_back(
        {ViolationClass::memory, fmt::format("the worker grew by {} MiB since its first case (limit {} MiB): the kernel leaks or "
                               "hoards memory; the worker was replaced",
                               grown >> 20, allowed >> 20)});
    kill_worker();
  }
  return outcome;
}

}  // namespace normcheck::harness
