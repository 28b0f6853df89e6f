// Knuth's TwoSum, the error-free transformation behind the backward tiers' compensated sums.
#pragma once

namespace normcheck::ref::detail {

// s + e = a + b exactly, s = fl(a + b), for any finite a, b whose sum does not overflow
// (subnormal results included); no branch, so the compensated loops vectorize.
inline void two_sum(double a, double b, double& s, double& e) {
  s = a + b;
  const double bv = s - a;
  e = (a - (s - bv)) + (b - bv);
}

}  // namespace normcheck::ref::detail
