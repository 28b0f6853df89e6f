// Time of the oracle on f64 rows of n = 4096 at the ends of the exponent range, the rows
// that `normcheck check` once reported as timeouts (tests/reference/oracle_extremes_test.cpp
// checks their answers; it asserted under 1 s a row until the timing moved here). A release
// build takes a few ms a row, and about 10 ms for the cancelling beta.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <string>

#include "reference/oracle.hpp"
#include "tests/reference/test_values.hpp"

namespace {

using normcheck::ref::Format;
using normcheck::ref::NormProblem;
namespace testing = normcheck::ref::testing;

constexpr std::int64_t kN = 4096;

void run_oracle(benchmark::State& state, const NormProblem& p) {
  normcheck::ref::OracleResult result;
  for (auto _ : state) {
    normcheck::ref::compute_oracle_into(p, {}, result);
    benchmark::DoNotOptimize(result.y.data());
  }
}

std::string hex(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%a", v);
  return text;
}

std::string regime_name(testing::Regime regime) {
  switch (regime) {
    case testing::Regime::full_range: return "full_range";
    case testing::Regime::subnormals: return "subnormals";
    default: return "huge_and_tiny";
  }
}

// The rows of Extremes.NearOverflowRowsAreAnswered: same seed, same order.
void register_extreme_rows() {
  std::mt19937_64 rng(36);
  for (const testing::Regime regime : testing::kExtremeRegimes) {
    for (const double eps : {0.0, 0x1.4f8b58p-17, 0x1p-1074, 0x1p+1000}) {
      NormProblem p = testing::f64_row(testing::random_row(rng, Format::f64, kN, regime), eps);
      const std::string name = "BM_extreme_row/" + regime_name(regime) + "/eps:" + hex(eps);
      benchmark::RegisterBenchmark(name.c_str(), [p](benchmark::State& state) { run_oracle(state, p); })
          ->Unit(benchmark::kMillisecond);
    }
  }
}

// beta_i = -RN_f64(t_i): every output cancels ~53 bits and goes to the exact search, which
// starts from the 256-bit guess (about 540 ms a row without it, about 20 ms with it).
void register_cancelling_beta() {
  std::mt19937_64 rng(53);
  NormProblem p = testing::f64_row(testing::random_row(rng, Format::f64, kN, testing::Regime::huge_and_tiny), 0.0);
  for (const double t : normcheck::ref::compute_oracle(p).y) p.beta.push_back(-t);
  benchmark::RegisterBenchmark("BM_cancelling_beta/huge_and_tiny", [p](benchmark::State& state) {
    run_oracle(state, p);
  })->Unit(benchmark::kMillisecond);
}

}  // namespace

int main(int argc, char** argv) {
  register_extreme_rows();
  register_cancelling_beta();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
