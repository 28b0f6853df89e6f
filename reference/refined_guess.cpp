// The exact search's starting point under cancellation: y at 256 bits with MPFR.
#include "reference/refined_guess.hpp"

#include <mpfr.h>

#include <algorithm>

namespace normcheck::ref::detail {
namespace {

constexpr mpfr_prec_t kGuessBits = 256;

}  // namespace

RefinedGuess::RefinedGuess() noexcept {
  mpfr_init2(reciprocal_, kGuessBits);
  mpfr_init2(exact_v_, kGuessBits);
  mpfr_init2(value_, kGuessBits);
}

RefinedGuess::~RefinedGuess() {
  mpfr_clear(reciprocal_);
  mpfr_clear(exact_v_);
  mpfr_clear(value_);
}

double RefinedGuess::guess(const boost::multiprecision::mpz_int& v, const boost::multiprecision::mpz_int& deviation,
                           double gamma, double beta) {
  mpfr_ptr value = value_;
  if (!have_reciprocal_) {
    mpfr_ptr exact_v = exact_v_;
    const auto v_bits = static_cast<mpfr_prec_t>(mpz_sizeinbase(v.backend().data(), 2));
    mpfr_set_prec(exact_v, std::max<mpfr_prec_t>(v_bits, MPFR_PREC_MIN));
    mpfr_set_z(exact_v, v.backend().data(), MPFR_RNDN);  // exact
    mpfr_rec_sqrt(reciprocal_, exact_v, MPFR_RNDN);
    have_reciprocal_ = true;
  }
  // Each step rounds at 256 bits (MPFR's exponent range holds every intermediate): the term is
  // good to ~2^-254 relative, and beta + term loses only the bits that cancel.
  mpfr_set_z(value, deviation.backend().data(), MPFR_RNDN);
  mpfr_mul_d(value, value, gamma, MPFR_RNDN);
  mpfr_mul(value, value, reciprocal_, MPFR_RNDN);
  mpfr_add_d(value, value, beta, MPFR_RNDN);
  return mpfr_get_d(value, MPFR_RNDN);  // to the f64 range: overflow gives inf, which the search handles
}

}  // namespace normcheck::ref::detail
