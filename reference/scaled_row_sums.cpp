// Exact S and Q of a row with lane-wise doubles: every product and partial sum is an integer
// of magnitude at most 2^53, so every operation is exact (the proof is in docs/oracle.md,
// "Vectorized exact sums"). GNU vector types keep the lanes explicit: a compiler may not
// reorder a floating-point sum by itself, even an exact one.
#include "reference/scaled_row_sums.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "reference/exact_stats.hpp"
#include "reference/lanes.hpp"

namespace normcheck::ref::detail {
namespace {

// x + 1.5 * 2^52 lies in [2^52, 2^53) for |x| <= 2^51, where consecutive doubles are
// consecutive integers: adding it rounds x to an integer, and its bit pattern minus the
// constant's is that integer (exact for integral x).
constexpr double kMagic = 0x1.8p52;
constexpr std::int64_t kMagicBits = 0x4338000000000000;
constexpr double kInf = std::numeric_limits<double>::infinity();

// The parts of a row: z = first (+ second), each n values.
struct Parts {
  const double* part[2];
  int count;
};

// Lane-wise kernels over kLanes doubles (reference/lanes.hpp); instantiated with two lanes for
// baseline x86-64 (SSE2) and four in the AVX2 clone.
template <int kLanes>
struct Lanes : VectorLanes<kLanes> {
  using Base = VectorLanes<kLanes>;
  using typename Base::Doubles;
  using typename Base::Ints;
  using Base::load;
  using Base::select;
  using Base::splat;
  using Base::store;
  using Base::vabs;
  using Base::vmax;
  using Base::vmin;

  [[gnu::always_inline]] static Ints to_int(Doubles integral) {
    return (Ints)(integral + kMagic) - kMagicBits;
  }
  [[gnu::always_inline]] static Doubles round_to_integer(Doubles v) {
    return (v + kMagic) - kMagic;
  }

  // Smallest nonzero and largest |value| over the parts (+inf and 0 when all are zero). Two
  // accumulators each, so that the compare-and-select chains overlap.
  [[gnu::always_inline]] static void magnitude_range(const Parts& parts, std::int64_t n,
                                                     double& smallest, double& largest) {
    Doubles lo[2] = {splat(kInf), splat(kInf)};
    Doubles hi[2] = {splat(0.0), splat(0.0)};
    const std::int64_t body = n - n % (2 * kLanes);
    double tail_lo = kInf;
    double tail_hi = 0.0;
    for (int k = 0; k < parts.count; ++k) {
      const double* values = parts.part[k];
      for (std::int64_t i = 0; i < body; i += 2 * kLanes) {
        for (int u = 0; u < 2; ++u) {
          const Doubles a = vabs(load(values + i + u * kLanes));
          hi[u] = vmax(a, hi[u]);
          lo[u] = vmin(select(a == 0.0, splat(kInf), a), lo[u]);
        }
      }
      for (std::int64_t i = body; i < n; ++i) {
        const double a = std::fabs(values[i]);
        tail_hi = std::max(tail_hi, a);
        if (a != 0.0) tail_lo = std::min(tail_lo, a);
      }
    }
    const Doubles l = vmin(lo[0], lo[1]);
    const Doubles h = vmax(hi[0], hi[1]);
    for (int j = 0; j < kLanes; ++j) {
      tail_lo = std::min(tail_lo, l[j]);
      tail_hi = std::max(tail_hi, h[j]);
    }
    smallest = tail_lo;
    largest = tail_hi;
  }

  // OR of every value * scale as an integer: its trailing zeros are how far q may come down.
  [[gnu::always_inline]] static std::uint64_t or_of_scaled(const Parts& parts, std::int64_t n,
                                                           double scale) {
    Ints bits{};
    std::uint64_t tail = 0;
    const std::int64_t body = n - n % kLanes;
    for (int k = 0; k < parts.count; ++k) {
      const double* values = parts.part[k];
      for (std::int64_t i = 0; i < body; i += kLanes) bits |= to_int(load(values + i) * scale);
      for (std::int64_t i = body; i < n; ++i) {
        tail |= static_cast<std::uint64_t>(static_cast<std::int64_t>(values[i] * scale));
      }
    }
    for (int j = 0; j < kLanes; ++j) tail |= static_cast<std::uint64_t>(bits[j]);
    return tail;
  }

  // Lane sums of one block: X, and the parts of X^2 = H^2 4^k + 2 H L 2^k + L^2.
  struct Accumulators {
    Doubles sum{}, high{}, cross{}, low{};
  };

  // Adds the lane sums (exact integers of magnitude <= 2^53) to 128-bit totals and clears them.
  [[gnu::always_inline]] static void fold(Accumulators& acc, __int128 (&totals)[4]) {
    for (int j = 0; j < kLanes; ++j) {
      totals[0] += static_cast<std::int64_t>(acc.sum[j]);
      totals[1] += static_cast<std::int64_t>(acc.high[j]);
      totals[2] += static_cast<std::int64_t>(acc.cross[j]);
      totals[3] += static_cast<std::int64_t>(acc.low[j]);
    }
    acc = Accumulators{};
  }

  // Stores X_i = z_i 2^q (|X_i| < 2^x_bits <= 2^47) and adds S and the parts of Q to totals
  // over the first body elements (a multiple of kLanes). k = ceil(x_bits / 2).
  [[gnu::always_inline]] static void scaled_sums(const Parts& parts, std::int64_t body,
                                                 double scale, int x_bits, int k,
                                                 std::int64_t* scaled, __int128 (&totals)[4]) {
    const Doubles down = splat(exact_pow2(-k));
    const Doubles up = splat(exact_pow2(k));
    // Each lane adds 2^(53 - x_bits) terms of magnitude <= 2^x_bits before a fold.
    const std::int64_t block = kLanes * (std::int64_t{1} << (53 - x_bits));
    Accumulators acc;
    std::int64_t in_block = 0;
    const double* first = parts.part[0];
    const double* second = parts.count == 2 ? parts.part[1] : nullptr;
    for (std::int64_t i = 0; i < body; i += kLanes) {
      Doubles x = load(first + i) * scale;  // exact: an integer below 2^47
      if (second) x += load(second + i) * scale;
      store(scaled + i, to_int(x));
      const Doubles h = round_to_integer(x * down);
      const Doubles l = x - h * up;
      acc.sum += x;
      acc.high += h * h;
      acc.cross += h * l;
      acc.low += l * l;
      in_block += kLanes;
      if (in_block == block) {
        fold(acc, totals);
        in_block = 0;
      }
    }
    fold(acc, totals);
  }
};

// The vector kernels, selected once per call: AVX2 where the CPU has it.
struct Kernels {
  void (*magnitude_range)(const Parts&, std::int64_t, double&, double&);
  std::uint64_t (*or_of_scaled)(const Parts&, std::int64_t, double);
  void (*scaled_sums)(const Parts&, std::int64_t, double, int, int, std::int64_t*, __int128 (&)[4]);
};

void range_portable(const Parts& p, std::int64_t n, double& lo, double& hi) {
  Lanes<2>::magnitude_range(p, n, lo, hi);
}
std::uint64_t or_portable(const Parts& p, std::int64_t n, double s) {
  return Lanes<2>::or_of_scaled(p, n, s);
}
void sums_portable(const Parts& p, std::int64_t body, double s, int x_bits, int k,
                   std::int64_t* out, __int128 (&totals)[4]) {
  Lanes<2>::scaled_sums(p, body, s, x_bits, k, out, totals);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
[[gnu::target("avx2")]] void range_avx2(const Parts& p, std::int64_t n, double& lo, double& hi) {
  Lanes<4>::magnitude_range(p, n, lo, hi);
}
[[gnu::target("avx2")]] std::uint64_t or_avx2(const Parts& p, std::int64_t n, double s) {
  return Lanes<4>::or_of_scaled(p, n, s);
}
[[gnu::target("avx2")]] void sums_avx2(const Parts& p, std::int64_t body, double s, int x_bits,
                                       int k, std::int64_t* out, __int128 (&totals)[4]) {
  Lanes<4>::scaled_sums(p, body, s, x_bits, k, out, totals);
}
#endif

const Kernels& kernels(LaneKernel lanes) {
  static const Kernels portable{range_portable, or_portable, sums_portable};
  if (lanes == LaneKernel::portable) return portable;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  static const Kernels chosen = __builtin_cpu_supports("avx2")
                                    ? Kernels{range_avx2, or_avx2, sums_avx2}
                                    : Kernels{range_portable, or_portable, sums_portable};
#else
  const Kernels& chosen = portable;
#endif
  return chosen;
}

}  // namespace

bool scaled_row_sums(const RowInput& row, int eps_q, std::int64_t* scaled, ScaledRowSums& out,
                     LaneKernel lanes) {
  const std::int64_t n = row.n;
  const Parts parts{{row.first, row.second}, row.second ? 2 : 1};
  const Kernels& kernel = kernels(lanes);
  double smallest = 0.0;
  double largest = 0.0;
  kernel.magnitude_range(parts, n, smallest, largest);
  if (!(smallest <= largest)) return false;  // all zeros (smallest = +inf)
  // Every value v carries at most p significant bits, so lsb(v) >= exponent(v) - (p - 1) >=
  // exponent(smallest) - (p - 1): q_start makes every scaled value an integer.
  const int p = row.significand_bits;
  const int low_exponent = std::ilogb(smallest);
  const int high_exponent = std::ilogb(largest);
  const int extra_bit = row.second ? 1 : 0;
  const int q_start = p - 1 - low_exponent;
  if (q_start < -1022 || q_start > 1023 || high_exponent + q_start + 1 + extra_bit > kMaxVectorBits)
    return false;
  // The OR of the integers X_i (of both parts) has as many trailing zeros as the smallest
  // lowest set bit among them: the smallest q that keeps every part integral is q_start - t.
  const std::uint64_t all_bits = kernel.or_of_scaled(parts, n, exact_pow2(q_start));
  const int q = std::max(q_start - std::countr_zero(all_bits), eps_q);
  const int x_bits = high_exponent + q + 1 + extra_bit;
  if (q < -1022 || q > 1023 || x_bits > kMaxVectorBits) return false;

  // X = H 2^k + L with H = RN(X / 2^k): |H| <= 2^(x_bits - k), |L| <= 2^(k - 1), so every
  // product is at most 2^x_bits in magnitude.
  const int k = (x_bits + 1) / 2;
  const double scale = exact_pow2(q);
  __int128 totals[4] = {0, 0, 0, 0};  // S, sum H^2, sum H L, sum L^2 (+ the tail's X^2)
  const std::int64_t body = n - n % 4;
  kernel.scaled_sums(parts, body, scale, x_bits, k, scaled, totals);
  for (std::int64_t i = body; i < n; ++i) {
    const double x = row.first[i] * scale + (row.second ? row.second[i] * scale : 0.0);
    const auto xi = static_cast<std::int64_t>(x);
    scaled[i] = xi;
    totals[0] += xi;
    totals[3] += static_cast<__int128>(xi) * xi;
  }
  // max |X|: for one part, the largest |z| scaled (exact); for two, from the integers.
  std::uint64_t max_abs = static_cast<std::uint64_t>(largest * scale);
  if (row.second) {
    max_abs = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t x = scaled[i];
      max_abs = std::max(max_abs, static_cast<std::uint64_t>(x < 0 ? -x : x));
    }
  }
  out.q = q;
  out.x_bits = x_bits;
  out.sum = static_cast<std::int64_t>(totals[0]);  // the caller uses it only where |S| < 2^62
  // Q = H^2 4^k + 2 (H L) 2^k + L^2, modulo 2^128: exact wherever the caller uses it (Q < 2^124).
  out.sum_squares = (static_cast<unsigned __int128>(totals[1]) << (2 * k)) +
                    (static_cast<unsigned __int128>(totals[2]) << (k + 1)) +
                    static_cast<unsigned __int128>(totals[3]);
  out.max_abs = max_abs;
  return true;
}

}  // namespace normcheck::ref::detail
