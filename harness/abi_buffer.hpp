// The memory a kernel sees through the C ABI: typed buffers with sentinel NaNs and guard
// elements on both sides (an output element still holding a sentinel was never written;
// a changed guard is a write outside the buffer), copies of the inputs to notice a write
// through const, and the call itself with its status read as an int. Shared by the forward
// runner (kernel_runner.hpp) and the backward one (backward_runner.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "reference/format.hpp"

namespace normcheck::harness {

// NaNs with a payload no arithmetic produces.
std::uint64_t sentinel_bits(ref::Format format);

// Storage for count values of one format, as the kernel sees them, with kGuard guard
// elements on both sides. Backed by doubles so every element type is aligned, and not
// zeroed first: the sentinels (or the values) are its first contents.
class AbiBuffer {
 public:
  static constexpr std::size_t kGuard = 16;

  AbiBuffer(ref::Format format, std::size_t count);
  AbiBuffer(const AbiBuffer& other);
  AbiBuffer(AbiBuffer&&) noexcept = default;
  AbiBuffer& operator=(const AbiBuffer&) = delete;
  AbiBuffer& operator=(AbiBuffer&&) noexcept = default;

  void* data() { return bytes() + kGuard * width_; }
  void store(const std::vector<double>& values);
  std::vector<double> load() const;
  // Appends the index of every element that still holds the sentinel (never written).
  void append_unwritten(std::vector<std::int64_t>& out) const;
  bool guards_intact() const;
  bool same_contents(const AbiBuffer& other) const;

 private:
  unsigned char* bytes() { return reinterpret_cast<unsigned char*>(storage_.get()); }
  const unsigned char* bytes() const { return reinterpret_cast<const unsigned char*>(storage_.get()); }
  std::size_t used_bytes() const { return (count_ + 2 * kGuard) * width_; }
  void fill_with_sentinels();
  std::uint64_t raw(std::size_t index) const;

  // append_unwritten for elements of one width.
  template <typename Bits>
  void append_unwritten_as(std::vector<std::int64_t>& out) const;

  ref::Format format_;
  std::uint64_t sentinel_;
  std::size_t width_;
  std::size_t count_;
  std::unique_ptr<double[]> storage_;  // used_bytes() of it, rounded up to doubles
};

// An input buffer and a copy of it, to notice a kernel that writes through const.
struct InputBuffer {
  AbiBuffer buffer;
  AbiBuffer original;
  InputBuffer(ref::Format format, const std::vector<double>& values);
  bool unchanged() const { return buffer.same_contents(original); }
};

// Throws std::invalid_argument when a problem's array has the wrong length.
void require_size(std::size_t actual, std::int64_t expected, const char* what);

// Collects what a kernel did to memory it does not own, as one line: "wrote outside y,
// changed x".
class MemoryViolations {
 public:
  void note(bool ok, const char* what);
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// Calls kernel.run(&self, &problem) and returns the status as the int a C function
// returns for an enum on every ABI we target: a kernel may return any int, and no value
// outside normcheck_status must ever be formed as one in C++ (undefined behaviour). The
// call's type differs from the callee's only in that return type, which clang's
// -fsanitize=function would report on a built-in kernel.
template <class Kernel, class Problem>
#if defined(__clang__)
__attribute__((no_sanitize("function")))
#endif
int call_run(const Kernel& kernel, const Kernel& self, const Problem& problem) {
  using RunReturningInt = int (*)(const Kernel*, const Problem*);
  static_assert(sizeof(int) == 4, "C enums of the ABI are int-sized");
  // Through void (*)(): the documented way to say the cast between function types is meant.
  const auto run = reinterpret_cast<RunReturningInt>(reinterpret_cast<void (*)()>(kernel.run));
  return run(&self, &problem);
}

}  // namespace normcheck::harness
