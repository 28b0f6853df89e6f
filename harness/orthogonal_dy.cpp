// The orthogonal gradient (orthogonal_dy.hpp): pairs (RMSNorm) or triples (LayerNorm) of a
// row's elements whose dy is a cross product with their x.
#include "harness/orthogonal_dy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace normcheck::harness {

std::vector<double> orthogonal_dy(ref::Op op, ref::Format dy_format, const std::vector<double>& x, std::int64_t n,
                                  std::vector<double> dy, int k) {
  constexpr auto kNone = std::numeric_limits<std::size_t>::max();
  const auto m = static_cast<std::size_t>(n);
  std::vector<double> row(m), rounded(m);
  std::vector<std::size_t> order(m), group(m);
  std::vector<char> inexact;
  for (std::size_t start = 0; start + m <= x.size(); start += m) {
    const auto first = x.begin() + static_cast<std::ptrdiff_t>(start);
    const auto last = first + static_cast<std::ptrdiff_t>(m);
    if (!std::all_of(first, last, [](double v) { return std::isfinite(v); })) continue;
    double top = 0.0;
    for (auto it = first; it != last; ++it) top = std::max(top, std::fabs(*it));
    // x scaled near 1, so that differences of f64 values near overflow stay finite.
    const int x_scale = top == 0.0 ? 0 : -std::ilogb(top);
    const auto at = [&](std::size_t i) { return std::ldexp(x[start + i], x_scale); };
    std::fill(row.begin(), row.end(), 0.0);
    std::fill(group.begin(), group.end(), kNone);
    std::size_t groups = 0;
    const auto join = [&](std::size_t i, double v) {
      row[i] = v;
      group[i] = groups;
    };
    if (op == ref::Op::rmsnorm) {
      const std::size_t t = m / 2;
      for (std::size_t i = 0; i < t; ++i, ++groups) {
        join(i, at(t + i));
        join(t + i, -at(i));
      }
    } else if (m >= 3) {
      std::iota(order.begin(), order.end(), std::size_t{0});
      std::stable_sort(order.begin(), order.end(), [&x, start](std::size_t i, std::size_t j) {
        return x[start + i] < x[start + j];
      });
      for (std::size_t i = 0; i + 3 <= m; i += 3, ++groups) {
        const std::size_t ia = order[i], ib = order[i + 1], ic = order[i + 2];
        const double a = at(ia), b = at(ib), c = at(ic);
        join(ia, c - b);
        join(ib, a - c);
        join(ic, b - a);
      }
    }
    double largest = 0.0;
    for (double v : row) largest = std::max(largest, std::fabs(v));
    if (largest == 0.0 && op == ref::Op::layernorm) {
      std::fill(row.begin(), row.end(), 1.0);
      largest = 1.0;
    }
    const int dy_scale = largest == 0.0 ? 0 : k - std::ilogb(largest);
    inexact.assign(groups, 0);
    for (std::size_t i = 0; i < m; ++i) {
      const double scaled = std::ldexp(row[i], dy_scale);
      rounded[i] = ref::round_to_format(dy_format, scaled);
      if (rounded[i] != scaled && group[i] != kNone) inexact[group[i]] = 1;
    }
    const auto kept = [&](std::size_t i) { return group[i] == kNone || inexact[group[i]] == 0; };
    bool any_kept = false;
    for (std::size_t i = 0; i < m; ++i) any_kept = any_kept || (kept(i) && rounded[i] != 0.0);
    for (std::size_t i = 0; i < m; ++i) dy[start + i] = !any_kept || kept(i) ? rounded[i] : 0.0;
  }
  return dy;
}

}  // namespace normcheck::harness
