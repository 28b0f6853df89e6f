// Shared assertion: the oracle against the slow path, field by field, bit for bit.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "reference/oracle.hpp"
#include "tests/reference/bit_compare.hpp"
#include "tests/reference/slow_reference.hpp"

namespace normcheck::ref::testing {

inline std::string describe(const NormProblem& p) {
  std::ostringstream s;
  s << (p.op == Op::layernorm ? "layernorm" : "rmsnorm") << " x=" << format_name(p.x_format)
    << " param=" << format_name(p.param_format) << " y=" << format_name(p.y_format) << " n=" << p.n
    << " eps=" << hex(p.eps) << (p.gamma.empty() ? "" : " gamma") << (p.beta.empty() ? "" : " beta");
  if (!p.residual.empty()) s << (p.residual_sum == ResidualSum::exact ? " residual(exact)" : " residual(rounded)");
  s << "\n x:";
  for (std::size_t i = 0; i < p.x.size() && i < 8; ++i) s << " " << hex(p.x[i]);
  for (const auto* field : {&p.residual, &p.gamma, &p.beta}) {
    if (field->empty()) continue;
    s << "\n " << (field == &p.residual ? "residual" : (field == &p.gamma ? "gamma" : "beta")) << ":";
    for (std::size_t i = 0; i < field->size() && i < 8; ++i) s << " " << hex((*field)[i]);
  }
  return s.str();
}

// Returns the number of mismatching fields (0 when bit-identical); reports the first few.
inline int compare_with_slow(const NormProblem& p, const OracleOptions& options = {}) {
  const OracleResult got = compute_oracle(p, options);
  const OracleResult want = slow_oracle(p);
  int failures = 0;
  auto check = [&](const char* field, const std::vector<double>& a, const std::vector<double>& b) {
    const long i = first_mismatch(a, b);
    if (i < 0) return;
    ++failures;
    ADD_FAILURE() << field << "[" << i << "]: oracle " << hex(a[static_cast<std::size_t>(i)]) << " slow "
                  << hex(b[static_cast<std::size_t>(i)]) << "\n" << describe(p);
  };
  check("y", got.y, want.y);
  check("mean", got.mean, want.mean);
  check("rstd", got.rstd, want.rstd);
  check("residual_out", got.residual_out, want.residual_out);
  // y_exact: within one f64 ulp of the exact y (the slow y_exact is RN_f64(y)), rounding to y.
  for (std::size_t i = 0; i < got.y_exact.size(); ++i) {
    const double e = got.y_exact[i];
    const double w = want.y_exact[i];
    const double f64_ulp = (w == 0.0 || !std::isfinite(w)) ? 0x1p-1074 : std::max(std::ldexp(1.0, std::ilogb(w) - 52), 0x1p-1074);
    const bool ok = std::isfinite(w) ? std::fabs(e - w) <= f64_ulp &&
                                           same_bits(round_to_format(p.y_format, e), got.y[i])
                                     : same_bits(e, w) || (std::isinf(w) && std::isinf(got.y[i]));
    if (!ok) {
      ++failures;
      ADD_FAILURE() << "y_exact[" << i << "]: oracle " << hex(e) << " slow RN_f64 " << hex(w) << "\n" << describe(p);
      break;
    }
  }
  return failures;
}

}  // namespace normcheck::ref::testing
