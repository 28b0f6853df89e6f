// Textbook two-pass LayerNorm in fp64: what a user would write without an oracle. Compiled
// at -O2 (bench/reference/CMakeLists.txt) so that the ratio is against plain compiled C++.
#include "bench/reference/plain_two_pass.hpp"

#include <cmath>
#include <cstddef>

#include "reference/format.hpp"
#include "reference/rounding.hpp"

namespace normcheck::bench {
namespace {

// One row; to_output is the conversion to the y format, inlined into the last loop.
template <class ToOutput>
void normalize_row(const double* x, const double* gamma, const double* beta, std::size_t n,
                   double eps, float* y, ToOutput to_output) {
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) sum += x[i];
  const double mean = sum / static_cast<double>(n);
  double squares = 0.0;
  for (std::size_t i = 0; i < n; ++i) squares += (x[i] - mean) * (x[i] - mean);
  const double rstd = 1.0 / std::sqrt(squares / static_cast<double>(n) + eps);
  for (std::size_t i = 0; i < n; ++i) y[i] = to_output((x[i] - mean) * rstd * gamma[i] + beta[i]);
}

template <class ToOutput>
void normalize_rows(const ref::NormProblem& p, std::vector<float>& y, ToOutput to_output) {
  const auto n = static_cast<std::size_t>(p.n);
  for (std::size_t r = 0; r < static_cast<std::size_t>(p.rows); ++r) {
    normalize_row(p.x.data() + r * n, p.gamma.data(), p.beta.data(), n, p.eps, y.data() + r * n,
                  to_output);
  }
}

}  // namespace

void plain_fp64_two_pass(const ref::NormProblem& p, std::vector<float>& y) {
  y.resize(p.x.size());
  if (p.y_format == ref::Format::f32) {
    normalize_rows(p, y, [](double v) { return static_cast<float>(v); });
    return;
  }
  const ref::FormatTraits& t = ref::traits(p.y_format);
  normalize_rows(p, y,
                 [&t](double v) { return static_cast<float>(ref::detail::round_double(t, v)); });
}

}  // namespace normcheck::bench
