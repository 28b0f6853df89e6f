// The in-flight input and checked marker of each fuzzing process (input_trace.hpp).
#include "harness/input_trace.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <system_error>

namespace normcheck::harness {
namespace {

namespace fs = std::filesystem;

// The mapping's layout: a state word, the size, then the bytes. The file is sparse, so the
// capacity costs only the pages an input touches; fuzz inputs are a few KiB (max_len).
enum class TraceState : std::uint64_t { idle = 0, running = 1, running_too_large = 2 };
constexpr std::size_t kHeaderBytes = 2 * sizeof(std::uint64_t);
constexpr std::size_t kMappingBytes = std::size_t{1} << 20;
constexpr std::size_t kCapacity = kMappingBytes - kHeaderBytes;

constexpr std::string_view kInflightPrefix = "inflight-";
constexpr std::string_view kCheckedPrefix = "checked-";

void store_word(unsigned char* at, std::uint64_t value) { std::memcpy(at, &value, sizeof value); }
std::uint64_t load_word(const unsigned char* at) {
  std::uint64_t value = 0;
  std::memcpy(&value, at, sizeof value);
  return value;
}

bool starts_with(const std::string& name, std::string_view prefix) { return name.rfind(prefix, 0) == 0; }

}  // namespace

InputTrace::InputTrace(fs::path dir) : dir_(std::move(dir)) {
  // The pid and the start time: over a night of fork-mode jobs pids are reused, and a new
  // job must not overwrite the input a dead one left running.
  if (!dir_.empty()) {
    const auto started = std::chrono::steady_clock::now().time_since_epoch().count();
    inflight_file_ = dir_ / (std::string(kInflightPrefix) + std::to_string(::getpid()) + "-" + std::to_string(started));
  }
}

InputTrace::~InputTrace() {
  if (mapping_ == nullptr) return;
  const bool idle = load_word(mapping_) == static_cast<std::uint64_t>(TraceState::idle);
  ::munmap(mapping_, kMappingBytes);
  if (idle) ::unlink(inflight_file_.c_str());
}

void InputTrace::open_mapping() {
  mapping_tried_ = true;
  // Tracing is a diagnosis: if it cannot be set up, fuzzing goes on without it.
  const int fd = ::open(inflight_file_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return;
  if (::ftruncate(fd, static_cast<off_t>(kMappingBytes)) == 0) {
    void* mapped = ::mmap(nullptr, kMappingBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mapped != MAP_FAILED) mapping_ = static_cast<unsigned char*>(mapped);
  }
  ::close(fd);
  if (mapping_ == nullptr) ::unlink(inflight_file_.c_str());
}

void InputTrace::begin(const std::uint8_t* data, std::size_t size) {
  if (inflight_file_.empty()) return;
  if (!mapping_tried_) open_mapping();
  if (mapping_ == nullptr) return;
  store_word(mapping_ + sizeof(std::uint64_t), size);
  const bool fits = size <= kCapacity;
  if (fits && size > 0) std::memcpy(mapping_ + kHeaderBytes, data, size);
  // The state last: the process can die only once the kernel runs, after this store.
  store_word(mapping_, static_cast<std::uint64_t>(fits ? TraceState::running : TraceState::running_too_large));
}

void InputTrace::end() {
  if (mapping_ != nullptr) store_word(mapping_, static_cast<std::uint64_t>(TraceState::idle));
}

void InputTrace::checked() {
  if (checked_marked_ || dir_.empty()) return;
  checked_marked_ = true;
  const fs::path marker = dir_ / (std::string(kCheckedPrefix) + std::to_string(::getpid()));
  const int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) {
    ::close(fd);
  } else {
    // Without the marker the run would read as one that checked nothing (exit 1): say why.
    std::fprintf(stderr, "normcheck fuzz target: cannot create %s: %s\n", marker.c_str(), std::strerror(errno));
  }
}

namespace {

// The input an inflight file holds while its state says running; nullopt otherwise.
std::optional<std::string> running_input(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  unsigned char header[kHeaderBytes] = {};
  if (!in.read(reinterpret_cast<char*>(header), kHeaderBytes)) return std::nullopt;
  if (load_word(header) != static_cast<std::uint64_t>(TraceState::running)) return std::nullopt;
  const std::uint64_t size = load_word(header + sizeof(std::uint64_t));
  if (size > kCapacity) return std::nullopt;
  std::string bytes(size, '\0');
  if (size > 0 && !in.read(bytes.data(), static_cast<std::streamsize>(size))) return std::nullopt;
  return bytes;
}

}  // namespace

std::vector<std::string> read_unfinished_inputs(const fs::path& dir) {
  std::set<std::string> inputs;
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(dir, ec)) {
    if (!starts_with(item.path().filename().string(), kInflightPrefix)) continue;
    if (auto bytes = running_input(item.path())) inputs.insert(std::move(*bytes));
  }
  std::vector<std::string> sorted(inputs.begin(), inputs.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
  return sorted;
}

std::optional<std::string> unfinished_input_of(const fs::path& dir, long pid) {
  const std::string prefix = std::string(kInflightPrefix) + std::to_string(pid) + "-";
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(dir, ec)) {
    if (!starts_with(item.path().filename().string(), prefix)) continue;
    if (auto bytes = running_input(item.path())) return bytes;
  }
  return std::nullopt;
}

bool any_input_checked(const fs::path& dir) {
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(dir, ec)) {
    if (starts_with(item.path().filename().string(), kCheckedPrefix)) return true;
  }
  return false;
}

}  // namespace normcheck::harness
