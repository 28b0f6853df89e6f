// Generators for the reference tests: values built from bit patterns, rows by regime.
#include "tests/reference/test_values.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

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
      case Regime::full_range:
        v = (rng() % 8 == 0) ? 0.0 : random_value(rng, format, t.emin - t.precision + 1, t.emax);
        break;
      case Regime::subnormals: v = random_value(rng, format, t.emin - t.precision + 1, t.emin - 1); break;
      case Regime::huge_and_tiny:
        v = (rng() & 1) ? random_value(rng, format, t.emax - 2, t.emax)
                        : random_value(rng, format, t.emin - t.precision + 1, t.emin + 1);
        break;
    }
  }
  return row;
}

double random_eps(std::mt19937_64& rng, int max_exponent) {
  // var + eps <= max|x|^2 + eps, so eps dominates from 2^(2 max_exponent + 8) on and is
  // negligible (below the variance's last bits, for rows that are not constant) far down.
  const int twice = 2 * max_exponent;
  switch (rng() % 8) {
    case 0: return 0.0;
    case 1: return std::ldexp(1.0, -20);
    case 2: return static_cast<double>(1e-5f);
    case 3: return std::fabs(random_value(rng, Format::f32, -30, 4));
    case 4: return std::fabs(random_value(rng, Format::f64, twice + 8, twice + 120));
    case 5: return std::fabs(random_value(rng, Format::f64, twice - 400, twice - 60));
    case 6: return std::fabs(random_value(rng, Format::f64, -1074, -1023));  // subnormal
    default: return std::fabs(random_value(rng, Format::f64, -1074, 1023));
  }
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
  const bool extreme = regime == Regime::full_range || regime == Regime::subnormals || regime == Regime::huge_and_tiny;
  int max_exponent = -1075;  // of the largest |x| over the rows (eps is per problem)
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto row = random_row(rng, x_format, n, regime);
    for (double v : row) {
      if (v != 0.0) max_exponent = std::max(max_exponent, std::ilogb(v));
    }
    p.x.insert(p.x.end(), row.begin(), row.end());
  }
  p.eps = random_eps(rng, max_exponent);
  if (rng() % 3 == 0) {
    for (std::int64_t r = 0; r < rows; ++r) {
      // Extreme rows get extreme residuals half the time: exact sums of a huge and a tiny part.
      const Regime residual_regime =
          regime == Regime::ties ? Regime::ties : ((extreme && (rng() & 1)) ? regime : Regime::unit);
      const auto row = random_row(rng, x_format, n, residual_regime);
      p.residual.insert(p.residual.end(), row.begin(), row.end());
    }
    p.residual_sum = (rng() & 1) ? ResidualSum::exact : ResidualSum::rounded;
  }
  // In the extreme regimes the params too reach either end of their format now and then, so
  // that beta + gamma * D / sqrt(V) meets terms of wildly different sizes.
  const FormatTraits& pt = traits(param_format);
  auto param = [&](int lo, int hi) {
    if (extreme && rng() % 4 == 0) return random_value(rng, param_format, pt.emin - pt.precision + 1, pt.emax);
    return random_value(rng, param_format, lo, hi);
  };
  if (rng() & 1) {
    for (std::int64_t i = 0; i < n; ++i) {
      p.gamma.push_back(regime == Regime::ties ? std::ldexp(static_cast<double>(rng() % 5), -1) : param(-2, 1));
    }
  }
  if (rng() & 1) {
    for (std::int64_t i = 0; i < n; ++i) {
      p.beta.push_back(regime == Regime::ties ? std::ldexp(static_cast<double>(static_cast<int>(rng() % 9) - 4), -3)
                                              : param(-3, 1));
    }
  }
  return p;
}

NormProblem f64_row(std::vector<double> x, double eps) {
  NormProblem p;
  p.x_format = p.param_format = p.y_format = Format::f64;
  p.n = static_cast<std::int64_t>(x.size());
  p.x = std::move(x);
  p.eps = eps;
  return p;
}

}  // namespace normcheck::ref::testing
