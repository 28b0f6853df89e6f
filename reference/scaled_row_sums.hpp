// Vectorized exact integer statistics for the common row: X_i = z_i * 2^q, S = sum X_i and
// Q = sum X_i^2, exactly, with lane-wise double arithmetic whose every result is an integer
// below 2^53 (docs/oracle.md, "Vectorized exact sums"). Rows outside its proven range are
// declined and take the scalar int64 / __int128 or GMP path in exact_stats.cpp.
#pragma once

#include <climits>
#include <cstdint>

namespace normcheck::ref::detail {

struct RowInput;

struct ScaledRowSums {
  int q = 0;             // the smallest q that makes every X_i and eps * 4^q integers
  int x_bits = 0;        // |X_i| < 2^x_bits (max_msb + q + 1, one more with a second part)
  std::int64_t sum = 0;  // S = sum X_i (for either op; RMSNorm ignores it)
  unsigned __int128 sum_squares = 0;  // Q = sum X_i^2
  std::uint64_t max_abs = 0;          // max |X_i|
};

// The widest scaled values the vector path takes: 2^(53 - kMaxVectorBits) elements per lane
// sum exactly before a fold into 128-bit integers (a block of 64 at the limit).
inline constexpr int kMaxVectorBits = 47;

// Fills scaled[0, n) with X_i and out with the exact sums, and returns true, for a row of
// finite values that has a nonzero element, whose values carry at most row.significand_bits
// significant bits, and whose X_i need at most kMaxVectorBits bits with 2^q a normal double.
// eps_q is ceil(-lsb(eps) / 2) (INT_MIN for eps = 0). Otherwise returns false: scaled and
// out are then unspecified.
// automatic uses the AVX2 lanes where the CPU has them; portable (two SSE2 lanes) is for tests,
// which check that both give the same exact sums.
enum class LaneKernel : std::uint8_t { automatic, portable };
bool scaled_row_sums(const RowInput& row, int eps_q, std::int64_t* scaled, ScaledRowSums& out,
                     LaneKernel lanes = LaneKernel::automatic);

}  // namespace normcheck::ref::detail
