// A 256-bit approximation of y = beta + gamma * D / sqrt(V) that starts the exact search next to
// the answer when beta and the term cancel. It certifies nothing: exact comparisons decide.
#pragma once

#include <mpfr.h>

#include <boost/multiprecision/gmp.hpp>

namespace normcheck::ref::detail {

// The exact search costs two big-integer comparisons per halving of the distance (in format
// values) between its start and the answer. With heavy cancellation the long double tier's y
// is 2^40 or more values off (about 80 comparisons; half a second for an f64 row of 4096 with
// ~4000-bit V), this guess is within one value unless more than ~190 bits cancel.
class RefinedGuess {
 public:
  RefinedGuess() noexcept;
  ~RefinedGuess();
  RefinedGuess(const RefinedGuess&) = delete;
  RefinedGuess& operator=(const RefinedGuess&) = delete;
  // A new row: forget 1/sqrt(V) (recomputed on first use, so rows that never need it pay nothing).
  void start_row() { have_reciprocal_ = false; }
  // RN_f64 of the 256-bit approximation of beta + gamma * deviation / sqrt(v); v > 0, all finite.
  double guess(const boost::multiprecision::mpz_int& v, const boost::multiprecision::mpz_int& deviation,
               double gamma, double beta);

 private:
  bool have_reciprocal_ = false;
  // Plain MPFR (init cannot throw), so the oracle's per-call state builds without exception paths.
  mpfr_t reciprocal_;  // 1/sqrt(V) at 256 bits
  mpfr_t exact_v_;     // V, exactly
  mpfr_t value_;
};

}  // namespace normcheck::ref::detail
