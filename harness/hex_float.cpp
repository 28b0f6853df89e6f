#include "harness/hex_float.hpp"

#include <cmath>
#include <cstdio>

namespace normcheck::harness {

std::string hex_float(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%a", value);
  return buffer;
}

}  // namespace normcheck::harness
