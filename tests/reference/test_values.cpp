// Generators for the reference tests: values built from bit patterns, rows by regime.
#include "tests/reference/test_values.hpp"

#include <algorithm>
#include <cmath>

namespace normcheck::ref::testing {

double random_value(std::mt19937_64& rng, Format format, int min_exp, int max_exp) {
  const FormatTraits& t = traits(format);
  const int lo = std::max(min_exp, t.emin - t.precision + 1);
  const int hi = std::min(max_exp, t.emax);
  const int exponent = std::uniform_int_distribution<int>(lo, std::max(lo, hi))(rng);
  const std::uint64_t bits = rng() >> (64 - (t.precision - 1));
  double magnitude = std::ldexp(1.0 + std::ldexp(static_cast<double>(bits), 1 - t.precision), exponent);
  magnitude = round_to_format(format, magnitude);  // below emin: drop the bits that do not exist
  if (std::isinf(magnitude)) magnitude = next_down(format, magnitude);
  return (rng() & 1) ? -magnitude : magnitude;
}

double random_bits(std::mt19937_64& rng, Format format) {
  const int bits = traits(format).bits;
  const std::uint64_t pattern = bits == 64 ? rng() : rng() >> (64 - bits);
  return from_bits(format, pattern);
}

std::vector<double> random_row(std::mt19937_64& rng, Format format, std::int64_t n, Regime regime) {
  const FormatTraits& t = traits(format);
  std::vector<double> row(static_cast<std::size_t>(n));
  const double base = random_value(rng, format, std::min(10, t.emax - 2), std::min(14, t.emax - 1));
  for (auto& v : row) {
    switch (regime) {
      case Regime::unit: v = random_value(rng, format, -4, 2); break;
      case Regime::offset_tiny_spread: {
        v = base;  // a few ulps around a large value: the mean is large, the spread tiny
        const int steps = std::uniform_int_distribution<int>(-3, 3)(rng);
        for (int s = 0; s < std::abs(steps); ++s) v = steps > 0 ? next_up(format, v) : next_down(format, v);
        break;
      }
      case Regime::huge: v = random_value(rng, format, t.emax - 3, t.emax); break;
      case Regime::tiny: v = random_value(rng, format, t.emin - t.precision + 1, t.emin + 2); break;
      case Regime::mixed_exponents: v = random_value(rng, format, t.emin - 5, t.emax); break;
      case Regime::ties: {
        // Small integers times a power of two: exact sums, many exact midpoints and zeros.
        v = std::ldexp(static_cast<double>(std::uniform_int_distribution<int>(-8, 8)(rng)), -2);
        break;
      }
    }
  }
  return row;
}

NormProblem random_problem(std::mt19937_64& rng, Format x_format, Format param_format, Format y_format,
                           std::int64_t rows, std::int64_t n, Regime regime) {
  NormProblem p;
  p.op = (rng() & 1) ? Op::layernorm : Op::rmsnorm;
  p.x_format = x_format;
  p.param_format = param_format;
  p.y_format = y_format;
  p.rows = rows;
  p.n = n;
  switch (rng() % 4) {
    case 0: p.eps = 0.0; break;
    case 1: p.eps = std::ldexp(1.0, -20); break;
    case 2: p.eps = static_cast<double>(1e-5f); break;
    default: p.eps = random_value(rng, Format::f32, -30, 4) * ((rng() & 1) ? 1 : -1);
  }
  p.eps = std::fabs(p.eps);
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto row = random_row(rng, x_format, n, regime);
    p.x.insert(p.x.end(), row.begin(), row.end());
  }
  if (rng() % 3 == 0) {
    for (std::int64_t r = 0; r < rows; ++r) {
      const auto row = random_row(rng, x_format, n, regime == Regime::ties ? Regime::ties : Regime::unit);
      p.residual.insert(p.residual.end(), row.begin(), row.end());
    }
    p.residual_sum = (rng() & 1) ? ResidualSum::exact : ResidualSum::rounded;
  }
  if (rng() & 1) {
    for (std::int64_t i = 0; i < n; ++i) {
      p.gamma.push_back(regime == Regime::ties ? std::ldexp(static_cast<double>(rng() % 5), -1)
                                               : random_value(rng, param_format, -2, 1));
    }
  }
  if (rng() & 1) {
    for (std::int64_t i = 0; i < n; ++i) {
      p.beta.push_back(regime == Regime::ties ? std::ldexp(static_cast<double>(static_cast<int>(rng() % 9) - 4), -3)
                                              : random_value(rng, param_format, -3, 1));
    }
  }
  return p;
}

}  // namespace normcheck::ref::testing
