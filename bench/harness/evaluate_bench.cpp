// The judge in process: evaluate_case (kernel run, oracle, every measure and contract) on
// one row of n f32 values, N(0, 1), for a correct built-in kernel, beside the oracle alone
// on the same row. Per element and per case: a fuzz input is a row or two of up to 256,
// so this is what bounds `normcheck fuzz`'s exec/s.
#include <benchmark/benchmark.h>

#include <random>

#include "harness/budget.hpp"
#include "harness/evaluate.hpp"
#include "impls/plugin_loader.hpp"
#include "impls/registry.hpp"
#include "reference/oracle.hpp"

namespace {

namespace harness = normcheck::harness;
namespace ref = normcheck::ref;

ref::NormProblem normal_rows(std::int64_t rows, std::int64_t n) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> dist(0.0, 1.0);
  ref::NormProblem p;
  p.rows = rows;
  p.n = n;
  p.eps = static_cast<double>(1e-5f);
  for (std::int64_t i = 0; i < rows * n; ++i) p.x.push_back(static_cast<double>(static_cast<float>(dist(rng))));
  for (std::int64_t i = 0; i < n; ++i) p.gamma.push_back(static_cast<double>(static_cast<float>(1 + dist(rng) / 8)));
  for (std::int64_t i = 0; i < n; ++i) p.beta.push_back(static_cast<double>(static_cast<float>(dist(rng) / 8)));
  return p;
}
ref::NormProblem normal_row(std::int64_t n) { return normal_rows(1, n); }

void per_element(benchmark::State& state, std::int64_t n) {
  state.counters["per_elem"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_evaluate_case(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const auto& kernel = *normcheck::impls::find_kernel(normcheck::impls::builtin_kernels(), "layernorm.f32.two_pass");
  const ref::NormProblem p = normal_row(n);
  const harness::Budget budget = harness::BudgetTable{}.for_kernel(kernel);
  for (auto _ : state) {
    auto evaluation = harness::evaluate_case(kernel, p, budget);
    if (!evaluation.passed()) state.SkipWithError("a correct kernel failed");
    benchmark::DoNotOptimize(evaluation);
  }
  per_element(state, n);
}

void BM_oracle_alone(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const ref::NormProblem p = normal_row(n);
  for (auto _ : state) {
    auto result = ref::compute_oracle(p);
    benchmark::DoNotOptimize(result);
  }
  per_element(state, n);
}

// A batch of 64 short rows (n = 4): what the per-row costs come to. Half the fuzz inputs
// hold more than one row, and those average dozens of rows of a few elements. Argument:
// whether the multi-run contracts run too (the fuzz targets check them on one input in four).
void BM_evaluate_batch(benchmark::State& state) {
  const auto& kernel = *normcheck::impls::find_kernel(normcheck::impls::builtin_kernels(), "layernorm.f32.two_pass");
  const ref::NormProblem p = normal_rows(64, 4);
  const harness::Budget budget = harness::BudgetTable{}.for_kernel(kernel);
  harness::EvaluateOptions options;
  options.check_contracts = state.range(0) != 0;
  for (auto _ : state) {
    auto evaluation = harness::evaluate_case(kernel, p, budget, options);
    if (!evaluation.passed()) state.SkipWithError("a correct kernel failed");
    benchmark::DoNotOptimize(evaluation);
  }
  per_element(state, 64 * 4);
}

void BM_oracle_batch(benchmark::State& state) {
  const ref::NormProblem p = normal_rows(64, 4);
  ref::OracleResult result;
  for (auto _ : state) {
    ref::compute_oracle_into(p, {}, result);
    benchmark::DoNotOptimize(result);
  }
  per_element(state, 64 * 4);
}

BENCHMARK(BM_evaluate_case)->Arg(1)->Arg(16)->Arg(256)->Arg(4096);
BENCHMARK(BM_oracle_alone)->Arg(1)->Arg(16)->Arg(256)->Arg(4096);
BENCHMARK(BM_evaluate_batch)->Arg(0)->Arg(1);
BENCHMARK(BM_oracle_batch);

}  // namespace

BENCHMARK_MAIN();
