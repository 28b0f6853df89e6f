// Knuth's TwoSum, the error-free transformation behind the backward tiers' compensated sums.
#pragma once

namespace normcheck::ref::detail {

// s + e = a + b exactly, s = fl(a + b), for any finite a, b whose sum does not overflow
// (subnormal results included); no branch, so the compensated loops vectorize. T is double
// or a lane-wise vector of doubles (reference/lanes.hpp), TwoSum in every lane: always inlined,
// since an AVX2 caller and a default-target copy pass 32-byte vectors differently (-Wpsabi).
template <class T>
[[gnu::always_inline]] inline void two_sum(T a, T b, T& s, T& e) {
  s = a + b;
  const T bv = s - a;
  e = (a - (s - bv)) + (b - bv);
}

}  // namespace normcheck::ref::detail
