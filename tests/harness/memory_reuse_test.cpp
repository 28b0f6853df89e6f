// normcheck's processes keep freed memory for the next case (harness/memory_reuse.hpp): a
// block of a large case's size comes from the heap, not from a mapping of its own, and its
// pages stay with the process after it is freed.
#include "harness/memory_reuse.hpp"

#include <cstdlib>
#include <cstring>

#include <gtest/gtest.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace normcheck::harness {
namespace {

TEST(MemoryReuseTest, ALargeCasesBufferIsNeitherMappedNorHandedBack) {
#if !defined(__GLIBC__) || defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "glibc's own allocator only (AddressSanitizer replaces it)";
#else
  keep_freed_memory_for_reuse();
  constexpr std::size_t kBlock = 8u << 20;  // 2^20 doubles: above glibc's default mmap threshold
  const std::size_t mapped_before = mallinfo2().hblkhd;
  // volatile: the compiler may drop a malloc / free pair whose block nothing reads.
  char* volatile block = static_cast<char*>(std::malloc(kBlock));
  ASSERT_NE(block, nullptr);
  std::memset(block, 1, kBlock);
  EXPECT_EQ(block[kBlock - 1], 1);
  EXPECT_EQ(mallinfo2().hblkhd, mapped_before) << "the block was mapped on its own";
  std::free(block);
  // Freed at the heap's top, it stays there: the heap keeps at least the block's size free.
  EXPECT_GE(mallinfo2().fordblks, kBlock);
#endif
}

}  // namespace
}  // namespace normcheck::harness
