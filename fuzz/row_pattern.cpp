// Expansion of a motif into a large array (row_pattern.hpp).
#include "fuzz/row_pattern.hpp"

#include <cmath>

namespace normcheck::fuzz {
namespace {

// SplitMix64's finalizer: every input bit reaches every output bit.
std::uint64_t mix(std::uint64_t v) {
  v += 0x9e37'79b9'7f4a'7c15ULL;
  v = (v ^ (v >> 30)) * 0xbf58'476d'1ce4'e5b9ULL;
  v = (v ^ (v >> 27)) * 0x94d0'49bb'1331'11ebULL;
  return v ^ (v >> 31);
}

// The value at column c of a row of n joining the m motif values linearly: position
// c * (m - 1) / (n - 1) between motif[k] and motif[k + 1], computed in double and rounded
// to the format. A non-finite end gives the nearer end itself.
std::uint64_t interpolated(const std::vector<std::uint64_t>& motif, ref::Format format, std::int64_t c,
                           std::int64_t n) {
  const auto m = static_cast<std::int64_t>(motif.size());
  if (m == 1 || n == 1) return motif.front();
  const std::int64_t numerator = c * (m - 1);
  const std::int64_t k = numerator / (n - 1);
  const std::int64_t remainder = numerator % (n - 1);
  if (remainder == 0 || k + 1 >= m) return motif[static_cast<std::size_t>(k)];
  const double t = static_cast<double>(remainder) / static_cast<double>(n - 1);
  const std::uint64_t a_bits = motif[static_cast<std::size_t>(k)];
  const std::uint64_t b_bits = motif[static_cast<std::size_t>(k + 1)];
  const double a = ref::from_bits(format, a_bits), b = ref::from_bits(format, b_bits);
  if (!std::isfinite(a) || !std::isfinite(b)) return t < 0.5 ? a_bits : b_bits;
  const double v = ref::round_to_format(format, a + (b - a) * t);
  return std::isfinite(v) ? ref::to_bits(format, v) : a_bits;
}

}  // namespace

std::vector<std::uint64_t> expand_motif(const std::vector<std::uint64_t>& motif, ref::Format format,
                                        Expansion expansion, std::uint8_t step, std::int64_t rows, std::int64_t n) {
  std::vector<std::uint64_t> out(static_cast<std::size_t>(rows * n));
  const auto m = static_cast<std::int64_t>(motif.size());
  // One loop per expansion: the fuzz build traces every switch and comparison it runs, and a
  // switch per element was a few per cent of an execution.
  const auto fill = [&](auto value_at) {
    for (std::int64_t r = 0; r < rows; ++r) {
      for (std::int64_t c = 0; c < n; ++c) out[static_cast<std::size_t>(r * n + c)] = value_at(r, c);
    }
  };
  switch (expansion) {
    case Expansion::repeat:
      fill([&](std::int64_t r, std::int64_t c) { return motif[static_cast<std::size_t>((c + r * step) % m)]; });
      break;
    case Expansion::interpolate:
      fill([&](std::int64_t r, std::int64_t c) { return interpolated(motif, format, (c + r * step) % n, n); });
      break;
    case Expansion::hashed:
      fill([&](std::int64_t r, std::int64_t c) {
        const auto k = static_cast<std::uint64_t>(r * n + c);
        return motif[static_cast<std::size_t>(mix(mix(step) ^ k) % static_cast<std::uint64_t>(m))];
      });
      break;
  }
  return out;
}

}  // namespace normcheck::fuzz
