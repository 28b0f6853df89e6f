// Reading, comparing and restoring the floating-point control state (fp_environment.hpp).
#include "harness/fp_environment.hpp"

#include <cstdint>
#include <fmt/format.h>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define NORMCHECK_X86 1
#endif

namespace normcheck::harness {
namespace {

#ifdef NORMCHECK_X86
// MXCSR: bits 0-5 are exception flags (not state); 6 DAZ, 7-12 masks, 13-14 rounding, 15 FTZ.
constexpr unsigned kSseControlMask = 0xffc0u;
// x87 control word: bits 0-5 masks, 8-9 precision, 10-11 rounding.
constexpr unsigned kX87ControlMask = 0x0f3fu;

// The whole x87 control word.
std::uint16_t x87_control_word() {
  std::uint16_t word = 0;
  __asm__ volatile("fnstcw %0" : "=m"(word));
  return word;
}

const char* rounding_name(unsigned rc) {
  switch (rc & 3u) {
    case 0: return "to nearest";
    case 1: return "downward";
    case 2: return "upward";
    default: return "toward zero";
  }
}
#endif

void add(std::string& out, const std::string& part) {
  if (!out.empty()) out += ", ";
  out += part;
}

}  // namespace

FpControl current_fp_control() {
  FpControl c;
#ifdef NORMCHECK_X86
  c.sse = _mm_getcsr() & kSseControlMask;
  c.x87 = x87_control_word() & kX87ControlMask;
#else
  c.sse = static_cast<unsigned>(std::fegetround());
#endif
  return c;
}

std::string describe_fp_change(const FpControl& before, const FpControl& after) {
  std::string out;
  if (before == after) return out;
#ifdef NORMCHECK_X86
  const unsigned sse = before.sse ^ after.sse;
  if ((sse >> 13) & 3u) add(out, fmt::format("SSE rounding {}", rounding_name(after.sse >> 13)));
  if ((sse >> 15) & 1u) add(out, (after.sse >> 15) & 1u ? "flush-to-zero set" : "flush-to-zero cleared");
  if ((sse >> 6) & 1u) add(out, (after.sse >> 6) & 1u ? "denormals-are-zero set" : "denormals-are-zero cleared");
  if ((sse >> 7) & 0x3fu) add(out, fmt::format("SSE exception masks {:#x}", (after.sse >> 7) & 0x3fu));
  const unsigned x87 = before.x87 ^ after.x87;
  if ((x87 >> 10) & 3u) add(out, fmt::format("x87 rounding {}", rounding_name(after.x87 >> 10)));
  if ((x87 >> 8) & 3u) add(out, fmt::format("x87 precision control {}", (after.x87 >> 8) & 3u));
  if (x87 & 0x3fu) add(out, fmt::format("x87 exception masks {:#x}", after.x87 & 0x3fu));
#else
  add(out, fmt::format("rounding mode {}", static_cast<int>(after.sse)));
#endif
  return out;
}

#ifdef NORMCHECK_X86
namespace {
// The x87 stack as a C function finds it at a call: its top (status word bits 11-13) and
// whether ST(0) is empty (fxam: C3 = 1, C2 = 0, C0 = 1), as top | empty << 3. Eight values
// left on the stack bring the top back where it was, but not ST(0)'s tag.
unsigned x87_stack() {
  std::uint16_t status = 0;
  __asm__ volatile("fxam\n\tfnstsw %0" : "=a"(status));
  const bool empty = (status & 0x4500u) == 0x4100u;
  return ((status >> 11) & 7u) | (empty ? 8u : 0u);
}
}  // namespace

FpEnvironmentGuard::FpEnvironmentGuard()
    : before_(current_fp_control()),
      sse_register_(_mm_getcsr()),
      x87_control_(x87_control_word()),
      x87_stack_(x87_stack()) {}

FpEnvironmentGuard::~FpEnvironmentGuard() {
  if (x87_control_word() != x87_control_ || x87_stack() != x87_stack_) {
    // A fresh x87 unit (fninit: empty stack, no flags), then the control word found.
    // fesetenv(FE_DFL_ENV) would not do: glibc keeps the tag word, so the stack stays full.
    const std::uint16_t word = x87_control_;
    __asm__ volatile("fninit\n\tfldcw %0" : : "m"(word));
  }
  _mm_setcsr(sse_register_);
}
#else
FpEnvironmentGuard::FpEnvironmentGuard() : before_(current_fp_control()) {}

FpEnvironmentGuard::~FpEnvironmentGuard() {
  if (current_fp_control() != before_) std::fesetround(static_cast<int>(before_.sse));
}
#endif

}  // namespace normcheck::harness
