// Lane-wise doubles and int64s (GNU vector types) for the oracle's vector loops: two lanes for
// baseline x86-64 (SSE2), four in the AVX2 versions. The lanes are explicit because a compiler
// may not reorder a floating-point sum by itself; every helper is always inlined, so that it
// takes the instruction set of the function it is inlined into. A file that passes these
// vectors by value compiles with -Wno-psabi (reference/CMakeLists.txt).
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>

namespace normcheck::ref::detail {

// (GCC ignores vector_size on a type that depends on a template parameter: one concrete
// pair of types per width.)
template <int kLanes>
struct VectorTypes;
template <>
struct VectorTypes<2> {
  using Doubles = double __attribute__((vector_size(16)));
  using Ints = std::int64_t __attribute__((vector_size(16)));
};
template <>
struct VectorTypes<4> {
  using Doubles = double __attribute__((vector_size(32)));
  using Ints = std::int64_t __attribute__((vector_size(32)));
};

template <int kWidth>
struct VectorLanes {
  static constexpr int kLanes = kWidth;
  using Doubles = typename VectorTypes<kWidth>::Doubles;
  using Ints = typename VectorTypes<kWidth>::Ints;
  static constexpr std::int64_t kAbsMask = std::numeric_limits<std::int64_t>::max();

  [[gnu::always_inline]] static Doubles load(const double* p) {
    Doubles v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  [[gnu::always_inline]] static void store(double* p, Doubles v) { std::memcpy(p, &v, sizeof v); }
  [[gnu::always_inline]] static void store(std::int64_t* p, Ints v) {
    std::memcpy(p, &v, sizeof v);
  }
  [[gnu::always_inline]] static Doubles splat(double v) { return Doubles{} + v; }
  [[gnu::always_inline]] static Doubles vabs(Doubles v) { return (Doubles)((Ints)v & kAbsMask); }
  // mask lanes are all ones or all zeros (a vector comparison's result).
  [[gnu::always_inline]] static Doubles select(Ints mask, Doubles a, Doubles b) {
    return (Doubles)((mask & (Ints)a) | (~mask & (Ints)b));
  }
  [[gnu::always_inline]] static Doubles vmax(Doubles a, Doubles b) { return select(a > b, a, b); }
  [[gnu::always_inline]] static Doubles vmin(Doubles a, Doubles b) { return select(a < b, a, b); }
};

}  // namespace normcheck::ref::detail
