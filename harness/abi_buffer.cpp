// The ABI's typed buffers, guards and sentinels (abi_buffer.hpp).
#include "harness/abi_buffer.hpp"

#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace normcheck::harness {
namespace {

// Every element, guards included, through fixed-width integers so the byte order is the
// machine's, as the kernel's; one loop per width.
template <typename Bits>
void fill_as(unsigned char* at, std::size_t elements, std::uint64_t pattern) {
  const auto narrow = static_cast<Bits>(pattern);
  for (std::size_t i = 0; i < elements; ++i) std::memcpy(at + i * sizeof(Bits), &narrow, sizeof(Bits));
}

}  // namespace

std::uint64_t sentinel_bits(ref::Format format) {
  switch (format) {
    case ref::Format::f16:
      return 0x7e5a;
    case ref::Format::bf16:
      return 0x7fa5;
    case ref::Format::f32:
      return 0x7fa5'5a5a;
    case ref::Format::f64:
      return 0x7ff5'a5a5'5a5a'a5a5;
  }
  throw std::invalid_argument("sentinel_bits: bad format");
}

AbiBuffer::AbiBuffer(ref::Format format, std::size_t count)
    : format_(format),
      sentinel_(sentinel_bits(format)),
      width_(static_cast<std::size_t>(ref::traits(format).bits / 8)),
      count_(count),
      storage_(new double[(used_bytes() + sizeof(double) - 1) / sizeof(double)]) {
  fill_with_sentinels();
}

AbiBuffer::AbiBuffer(const AbiBuffer& other)
    : format_(other.format_),
      sentinel_(other.sentinel_),
      width_(other.width_),
      count_(other.count_),
      storage_(new double[(used_bytes() + sizeof(double) - 1) / sizeof(double)]) {
  std::memcpy(bytes(), other.bytes(), used_bytes());
}

void AbiBuffer::store(const std::vector<double>& values) {
  ref::encode_values(format_, values.data(), values.size(), data());
}

std::vector<double> AbiBuffer::load() const {
  std::vector<double> values(count_);
  ref::decode_values(format_, bytes() + kGuard * width_, count_, values.data());
  return values;
}

// One loop per width, so that the scan of a large output is a plain compare loop.
template <typename Bits>
void AbiBuffer::append_unwritten_as(std::vector<std::int64_t>& out) const {
  const auto sentinel = static_cast<Bits>(sentinel_);
  const unsigned char* at = bytes() + kGuard * sizeof(Bits);
  for (std::size_t i = 0; i < count_; ++i) {
    Bits value;
    std::memcpy(&value, at + i * sizeof(Bits), sizeof(Bits));
    if (value == sentinel) out.push_back(static_cast<std::int64_t>(i));
  }
}

void AbiBuffer::append_unwritten(std::vector<std::int64_t>& out) const {
  if (width_ == 2) append_unwritten_as<std::uint16_t>(out);
  else if (width_ == 4) append_unwritten_as<std::uint32_t>(out);
  else append_unwritten_as<std::uint64_t>(out);
}

bool AbiBuffer::guards_intact() const {
  for (std::size_t i = 0; i < kGuard; ++i) {
    if (raw(i) != sentinel_ || raw(kGuard + count_ + i) != sentinel_) return false;
  }
  return true;
}

bool AbiBuffer::same_contents(const AbiBuffer& other) const {
  return used_bytes() == other.used_bytes() && std::memcmp(bytes(), other.bytes(), used_bytes()) == 0;
}

void AbiBuffer::fill_with_sentinels() {
  const std::uint64_t pattern = sentinel_;
  const std::size_t elements = count_ + 2 * kGuard;
  if (width_ == 2) fill_as<std::uint16_t>(bytes(), elements, pattern);
  else if (width_ == 4) fill_as<std::uint32_t>(bytes(), elements, pattern);
  else fill_as<std::uint64_t>(bytes(), elements, pattern);
}

std::uint64_t AbiBuffer::raw(std::size_t index) const {
  const unsigned char* at = bytes() + index * width_;
  if (width_ == 2) {
    std::uint16_t narrow = 0;
    std::memcpy(&narrow, at, 2);
    return narrow;
  }
  if (width_ == 4) {
    std::uint32_t narrow = 0;
    std::memcpy(&narrow, at, 4);
    return narrow;
  }
  std::uint64_t wide = 0;
  std::memcpy(&wide, at, 8);
  return wide;
}

namespace {
AbiBuffer filled(ref::Format format, const std::vector<double>& values) {
  AbiBuffer b(format, values.size());
  b.store(values);
  return b;
}
}  // namespace

InputBuffer::InputBuffer(ref::Format format, const std::vector<double>& values)
    : buffer(filled(format, values)), original(buffer) {}  // one encoding, copied

void require_size(std::size_t actual, std::int64_t expected, const char* what) {
  if (static_cast<std::int64_t>(actual) != expected) {
    throw std::invalid_argument(fmt::format("run_kernel: {} has {} values, expected {}", what, actual, expected));
  }
}

void MemoryViolations::note(bool ok, const char* what) {
  if (ok) return;
  if (!text_.empty()) text_ += ", ";
  text_ += what;
}

}  // namespace normcheck::harness
