// Cell texts shared by report.md and index.html (report/render.hpp).
#include <fmt/format.h>

#include <cmath>

#include "report/render.hpp"

namespace normcheck::harness::report {

std::string domain_bound_text(const std::optional<double>& bound) {
  if (!bound) return "-";
  return fmt::format("2^{:.1f} ({:.3g})", std::log2(*bound), *bound);
}

std::string bias_text(const BiasFigures& b) {
  if (!b.applicable()) return "n/a";
  return fmt::format("{:+.3f} ulp, {:.1f}% misrounded, p = {:.2g}{}", b.mean_error,
                     100 * b.misrounded_fraction, b.p_value, b.finding ? " FINDING" : "");
}

}  // namespace normcheck::harness::report
