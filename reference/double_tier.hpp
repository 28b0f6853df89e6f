// The oracle's first tier: y_i = beta_i + gamma_i * D_i / sqrt(V) in double-double with exact
// products, certified per element by Ziv's test for outputs of precision <= 24 (docs/oracle.md,
// "First tier"). Undecided elements are left to the long double tier and the exact path.
#pragma once

#include <cstddef>
#include <cstdint>

#include "reference/format.hpp"

namespace normcheck::ref::detail {

// One row of the int64 statistics path, with the row's invariants computed once.
struct DoubleTierRow {
  const std::int64_t* scaled = nullptr;  // X_i
  std::int64_t n = 0;
  std::int64_t sum = 0;             // S (0 for RMSNorm): D_i = n*X_i - S
  const double* gamma = nullptr;    // null = ones
  const double* beta = nullptr;     // null = zeros
  double rsqrt_hi = 0.0;            // rsqrt_hi + rsqrt_lo = (1 + rho) / sqrt(V), |rho| <= 2^-105
  double rsqrt_lo = 0.0;
};

// Preconditions under which the tier's bound is proven (checked by the caller, once per
// problem or row): every |D_i| < 2^53; 1 <= V < 2^128; every finite nonzero gamma_i in
// [2^-600, 2^600] and every finite beta_i below 2^600 in magnitude. Non-finite params are
// allowed: they are never certified.
bool double_tier_applies(const FormatTraits& y_traits);  // precision <= 24
bool params_in_double_tier_range(const double* values, std::size_t count);

// Which arithmetic computes the exact products: hardware FMA or Dekker's splitting. Both
// are exact, so results are bit-identical; automatic picks FMA when the CPU has it (fma is
// only for tests, on a CPU where cpu_has_fma() is true).
enum class ProductKernel : std::uint8_t { automatic, fma, portable };
bool cpu_has_fma();

// Writes y[i] = RN_format(y_i) and y_exact[i] = RN_f64(y_i's double-double approximation)
// for every element it certifies and sets undecided[i] = 0; sets undecided[i] = 1 (and
// leaves y, y_exact unspecified) for the others. Returns the number undecided.
std::size_t double_tier_row(const FormatTraits& y_traits, const DoubleTierRow& row, double* y, double* y_exact,
                            std::uint8_t* undecided, ProductKernel kernel = ProductKernel::automatic);

}  // namespace normcheck::ref::detail
