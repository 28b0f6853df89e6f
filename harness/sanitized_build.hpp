// Whether this build runs under AddressSanitizer (g++ or clang spelling).
//
// Isolated workers are forked from the caller's threads. glibc's malloc is fork-safe, but
// the AddressSanitizer allocator of GCC 12 is not: a fork while another thread holds its
// lock leaves the worker deadlocked at its first allocation (a false timeout). Commands
// that fork workers from several threads therefore use one thread in such builds.
#pragma once

namespace normcheck::harness {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitizedBuild = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kSanitizedBuild = true;
#else
inline constexpr bool kSanitizedBuild = false;
#endif
#else
inline constexpr bool kSanitizedBuild = false;
#endif

}  // namespace normcheck::harness
