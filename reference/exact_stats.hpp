// Exact row statistics: the row scaled to integers X_i = z_i * 2^q, S = sum X_i, and
// V = n*Q - S^2 + eps*n^2*4^q (S = 0 for RMSNorm), so that exactly
// (z_i - mean) / sqrt(var + eps) = D_i / sqrt(V) with D_i = n*X_i - S.
#pragma once

#include <boost/multiprecision/gmp.hpp>
#include <cstdint>
#include <vector>

#include "reference/oracle.hpp"

namespace normcheck::ref::detail {

using boost::multiprecision::mpz_int;

// One row's z = first + second (second may be null: z = first). All values finite.
struct RowInput {
  const double* first = nullptr;
  const double* second = nullptr;
  std::int64_t n = 0;
  double eps = 0.0;
  Op op = Op::layernorm;
  // Every value of first and second carries at most this many significant bits (the x
  // format's precision; 53 claims nothing). Lets the vector statistics find q without
  // reading each value's lowest set bit.
  int significand_bits = 53;
};

struct ExactRowStats {
  std::int64_t n = 0;
  int q = 0;                         // scaling exponent: X_i = z_i * 2^q is an integer
  bool fits_int64 = false;           // X_i, S and every D_i fit in int64 (fast path)
  std::vector<std::int64_t> scaled;  // X_i, filled when fits_int64
  std::int64_t sum_small = 0;        // S when fits_int64 (0 for RMSNorm)
  mpz_int sum;                       // S (0 for RMSNorm)
  mpz_int denom_square;              // V >= 0
  long double rsqrt_v = 0.0L;        // RN_ld(RN_128(1 / sqrt(V))); 0 when V = 0
  // The first tier's row-level preconditions: fits_int64, every |D_i| < 2^53 and
  // 1 <= V < 2^128. Only then is 1 / sqrt(V) in (2^-64, 1], where a double-double holds it to
  // 2^-105; far outside (V ~ 2^2000 for subnormal rows with dominant eps) the high part would
  // be a subnormal double with a few dozen bits, and the tier's bound would be false.
  bool double_tier_row = false;
  // When double_tier_row: RN_128(1 / sqrt(V)) as a double-double, rsqrt_hi + rsqrt_lo =
  // (1 + rho) / sqrt(V) with |rho| <= 2^-128 + 2^-106 (1 + 2^-52) < 2^-105 (docs/oracle.md).
  // Otherwise both NaN, so that a use against the preconditions can never certify a result.
  double rsqrt_hi = 0.0;
  double rsqrt_lo = 0.0;
  // RN_f64(n / sqrt(V)) (so rstd = rstd_unscaled * 2^q) where Ziv's test on the 128-bit
  // reciprocal decides it (docs/oracle.md, "mean and rstd"); NaN where it does not, or V = 0.
  double rstd_unscaled = 0.0;
};

// Fills stats for the row; reuses stats' storage so repeated rows do not allocate.
void compute_exact_stats(const RowInput& row, ExactRowStats& stats);

// D_i = n*X_i - S exactly (either path). scratch avoids an allocation per call.
void exact_deviation(const RowInput& row, const ExactRowStats& stats, std::int64_t i, mpz_int& out,
                     mpz_int& scratch);

// |value| truncated to 64 significant bits, as a long double with the sign restored:
// relative error below 2^-63.
long double to_long_double(const mpz_int& value);

}  // namespace normcheck::ref::detail
