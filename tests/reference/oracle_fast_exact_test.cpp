// The fast path and the forced exact fallback agree bit for bit, on >= 10^5 outputs across
// formats and regimes (large mean with tiny spread, huge and tiny magnitudes, ties).
#include <gtest/gtest.h>

#include <random>

#include "reference/oracle.hpp"
#include "tests/reference/bit_compare.hpp"
#include "tests/reference/oracle_check.hpp"
#include "tests/reference/test_values.hpp"

namespace normcheck::ref {
namespace {

constexpr Format kFormats[] = {Format::f16, Format::bf16, Format::f32, Format::f64};

TEST(FastVersusExact, AgreeBitForBit) {
  std::mt19937_64 rng(2024);
  long outputs = 0;
  long mismatches = 0;
  while (outputs < 100'000) {
    for (testing::Regime regime : testing::kAllRegimes) {
      const auto p = testing::random_problem(rng, kFormats[rng() % 4], kFormats[rng() % 4], kFormats[rng() % 4], 4,
                                             static_cast<std::int64_t>(1 + rng() % 96), regime);
      const OracleResult fast = compute_oracle(p);
      const OracleResult exact = compute_oracle(p, OracleOptions{.force_exact = true});
      outputs += static_cast<long>(fast.y.size());
      for (const auto* pair : {&fast.y, &fast.mean, &fast.rstd}) {
        const auto& other = pair == &fast.y ? exact.y : (pair == &fast.mean ? exact.mean : exact.rstd);
        const long i = testing::first_mismatch(*pair, other);
        if (i >= 0 && mismatches++ < 10) {
          ADD_FAILURE() << "index " << i << " fast " << testing::hex((*pair)[static_cast<std::size_t>(i)]) << " exact "
                        << testing::hex(other[static_cast<std::size_t>(i)]) << "\n" << testing::describe(p);
        }
      }
    }
  }
  std::printf("compared %ld outputs, %ld mismatches\n", outputs, mismatches);
  EXPECT_EQ(mismatches, 0);
}

}  // namespace
}  // namespace normcheck::ref
