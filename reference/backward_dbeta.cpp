// dbeta_j = sum over rows of dy_rj: a compensated double sum with its proven bound, else the
// exact integer sum (a common power of two) rounded by exact comparison.
#include <mpfr.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "reference/backward_exact.hpp"
#include "reference/backward_sums.hpp"
#include "reference/certified_search.hpp"
#include "reference/certify_double.hpp"
#include "reference/two_sum.hpp"

namespace normcheck::ref::detail {

std::int64_t dbeta_columns(const double* dy, std::int64_t rows, std::int64_t n, Format format, bool force_exact,
                           const ColumnPlan& plan, double* out, double* out_exact) {
  std::int64_t exact_count = 0;
  const auto count = static_cast<std::size_t>(n);
  // Sum2 (Ogita, Rump, Oishi) down each column: res = s + c with |res - sum| <= u|res| +
  // gamma_{R-1}^2 sum|dy| (+ the final rounding); gamma_{R-1}^2 <= 2^-13 u for R < 2^20, so
  // err = 1.01 u (|res| + 2^-12 sum|dy|) bounds it, the computed magnitude being within
  // 1 + 2^-33 of sum|dy|. Overflow makes err infinite: undecided.
  std::vector<double> sum(count, 0.0), compensation(count, 0.0), magnitude(count, 0.0);
  const bool fast = !force_exact && rows < (std::int64_t{1} << 20);
  if (fast) {
    for (std::int64_t r = 0; r < rows; ++r) {
      const double* row = dy + r * n;
      for (std::size_t j = 0; j < count; ++j) {
        double e;
        two_sum(sum[j], row[j], sum[j], e);
        compensation[j] += e;
        magnitude[j] += std::fabs(row[j]);
      }
    }
    for (std::size_t j = 0; j < count; ++j) sum[j] += compensation[j];
  }
  BackwardComparator comparator;
  mpz_int total, term, one = 1;
  for (std::size_t j = 0; j < count; ++j) {
    if (!plan.needed[j]) continue;
    const double err = 1.01 * 0x1p-53 * (std::fabs(sum[j]) + 0x1p-12 * magnitude[j]);
    if (fast && certify_double(format, sum[j], err, out[j])) {
      out_exact[j] = sum[j];
      continue;
    }
    ++exact_count;
    int base = std::numeric_limits<int>::max();
    for (std::int64_t r = 0; r < rows; ++r) {
      const Dyadic d = to_dyadic(dy[r * n + static_cast<std::int64_t>(j)]);
      if (d.mantissa != 0) base = std::min(base, d.exponent);
    }
    if (base == std::numeric_limits<int>::max()) base = 0;
    total = 0;
    for (std::int64_t r = 0; r < rows; ++r) {
      shifted_mantissa(dy[r * n + static_cast<std::int64_t>(j)], base, term);
      total += term;
    }
    mpfr_t value;
    mpfr_init2(value, std::max<long>(64, static_cast<long>(mpz_sizeinbase(total.backend().data(), 2))));
    mpfr_set_z(value, total.backend().data(), MPFR_RNDN);  // exact at that precision
    mpfr_mul_2si(value, value, base, MPFR_RNDN);
    out_exact[j] = mpfr_get_d(value, MPFR_RNDN);
    mpfr_clear(value);
    out[j] = round_by_search(
        format, out_exact[j], [&](Dyadic m) { return comparator.rational_minus(total, base, one, m); },
        plan.zero_is_negative[j] != 0);
    if (total == 0) out_exact[j] = out[j];
  }
  return exact_count;
}

}  // namespace normcheck::ref::detail
