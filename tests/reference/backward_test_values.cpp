// Backward problem generators and the field-by-field comparison.
#include "tests/reference/backward_test_values.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "tests/reference/bit_compare.hpp"

namespace normcheck::ref::testing {
namespace {

// A representable dy value: exponents near 0, or (wide) anywhere from 2^-40 to 2^40 of the
// format's range, clamped by random_value.
double random_dy(std::mt19937_64& rng, Format format, bool wide) {
  if (rng() % 8 == 0) return (rng() & 1) ? 0.0 : -0.0;
  return wide ? random_value(rng, format, -40, 40) : random_value(rng, format, -3, 3);
}

}  // namespace

BackwardProblem random_backward_problem(std::mt19937_64& rng, Format x_format, Format param_format, Format dy_format,
                                        std::int64_t rows, std::int64_t n, Regime regime, Gradient gradient) {
  BackwardProblem p;
  p.op = (rng() & 1) ? Op::layernorm : Op::rmsnorm;
  p.x_format = x_format;
  p.param_format = param_format;
  p.dy_format = dy_format;
  p.rows = rows;
  p.n = n;
  int max_exponent = -1075;
  std::vector<double> first_row;
  for (std::int64_t r = 0; r < rows; ++r) {
    std::vector<double> row;
    if (gradient == Gradient::repeated_rows && r > 0 && rng() % 2 == 0) {
      row = first_row;  // equal V: merged exactly in dgamma
      std::shuffle(row.begin(), row.end(), rng);
    } else if (gradient == Gradient::square_v) {
      // +-a pairs (and a 0 for odd n) give var a power-of-4 multiple of a rational square for
      // LayerNorm; with eps = 0 V is often a perfect square.
      const double a = random_value(rng, x_format, -4, 4);
      for (std::int64_t i = 0; i < n; ++i) row.push_back(i + 1 == n && n % 2 ? 0.0 : ((i % 2) ? -a : a));
    } else {
      row = random_row(rng, x_format, n, regime);
    }
    if (r == 0) first_row = row;
    for (double v : row) {
      if (v != 0.0) max_exponent = std::max(max_exponent, std::ilogb(v));
    }
    p.x.insert(p.x.end(), row.begin(), row.end());
  }
  p.eps = gradient == Gradient::square_v ? 0.0 : random_eps(rng, max_exponent);
  const bool wide = gradient == Gradient::wide_exponents;
  for (std::int64_t k = 0; k < rows * n; ++k) p.dy.push_back(random_dy(rng, dy_format, wide));
  if (gradient == Gradient::orthogonal) {
    // dy_i = dy_{n-1-i}: for rows symmetric about their mean sum dy xhat = 0; in general it
    // makes P small against its terms, which is what the exact path must survive.
    for (std::int64_t r = 0; r < rows; ++r) {
      for (std::int64_t i = 0; i < n / 2; ++i) p.dy[r * n + n - 1 - i] = p.dy[r * n + i];
    }
  }
  if (rng() % 2 || gradient == Gradient::zero_gamma) {
    for (std::int64_t i = 0; i < n; ++i) {
      const bool zero = gradient == Gradient::zero_gamma && rng() % 2;
      p.gamma.push_back(zero ? 0.0 : random_value(rng, param_format, -2, 1));
    }
  }
  return p;
}

std::string describe(const BackwardProblem& p) {
  std::ostringstream s;
  s << (p.op == Op::layernorm ? "layernorm" : "rmsnorm") << " x=" << format_name(p.x_format)
    << " param=" << format_name(p.param_format) << " dy=" << format_name(p.dy_format) << " rows=" << p.rows
    << " n=" << p.n << " eps=" << hex(p.eps) << (p.gamma.empty() ? "" : " gamma");
  for (const auto* field : {&p.x, &p.dy, &p.gamma}) {
    s << "\n " << (field == &p.x ? "x" : (field == &p.dy ? "dy" : "gamma")) << ":";
    for (std::size_t i = 0; i < field->size() && i < 8; ++i) s << " " << hex((*field)[i]);
  }
  return s.str();
}

int compare_backward(const BackwardProblem& p, const BackwardOracleResult& got, const BackwardOracleResult& want) {
  int failures = 0;
  auto check = [&](const char* field, const std::vector<double>& a, const std::vector<double>& b) {
    const long i = first_mismatch(a, b);
    if (i < 0) return;
    ++failures;
    ADD_FAILURE() << field << "[" << i << "]: oracle " << hex(a[static_cast<std::size_t>(i)]) << " other "
                  << hex(b[static_cast<std::size_t>(i)]) << "\n" << describe(p);
  };
  check("dx", got.dx, want.dx);
  check("dgamma", got.dgamma, want.dgamma);
  check("dbeta", got.dbeta, want.dbeta);
  if (got.dgamma_capped != 0 || want.dgamma_capped != 0) {
    ++failures;
    ADD_FAILURE() << "dgamma capped: " << got.dgamma_capped << " / " << want.dgamma_capped << "\n" << describe(p);
  }
  return failures;
}

}  // namespace normcheck::ref::testing
