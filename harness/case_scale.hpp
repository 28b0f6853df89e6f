// How large a generated or fuzzed case may be, and the batch sizes and row lengths where
// kernels switch strategy. One vocabulary for the generators (properties/), the fuzzers
// (fuzz/) and the batch-invariance contract, so that they aim at the same places.
#pragma once

#include <array>
#include <cstdint>

namespace normcheck::harness {

// The largest batch and the longest row a generated or fuzzed case has.
inline constexpr std::int64_t kMaxGeneratedRows = 4096;
inline constexpr std::int64_t kMaxGeneratedN = 65536;
// rows * n of one generated or fuzzed case at most: 4096 rows of 64, or 4 rows of 65,536.
// The oracle costs ~25 ns an element and the isolated worker copies the case over a pipe,
// so such a case takes ~10-20 ms to judge; the generators draw one rarely enough that the
// default gate (1000 cases for each of 13 kernels) stays within ~30 s on two cores
// (docs/checking.md, "The generated cases").
inline constexpr std::int64_t kMaxGeneratedElements = std::int64_t{1} << 18;

// Batch sizes at which batched and GPU kernels change strategy: one row, a pair, just
// below and at a vector or warp width, around a warp or tile of 32, a block of 64, and
// the thresholds of 1024 rows and 4096 rows.
inline constexpr std::array<std::int64_t, 11> kStrategySwitchBatchSizes = {1, 2, 7, 8, 31, 32, 33, 64, 1023, 1024, 4096};

}  // namespace normcheck::harness
