// Bitwise equality for test assertions: value and sign of zero must match, NaN == NaN.
#pragma once

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace normcheck::ref::testing {

inline bool same_bits(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return a == b && std::signbit(a) == std::signbit(b);
}

inline std::string hex(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%a", v);
  return buffer;
}

// Index of the first mismatch, or -1.
inline long first_mismatch(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!same_bits(a[i], b[i])) return static_cast<long>(i);
  }
  return -1;
}

}  // namespace normcheck::ref::testing
