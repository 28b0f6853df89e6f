// ns per element of the correctly rounded backward oracle versus a plain (not correctly
// rounded) fp64 backward on the same rows: LayerNorm, f32 x / dy / gamma, 64 rows of n = 1024.
// Three pairs: dx (statistics included on both sides), dgamma's column sums (row statistics
// precomputed on both sides), and the whole backward (compute_backward_oracle against a
// textbook dx + dgamma + dbeta); prints oracle / fp64 ratios (DESIGN: dx within 4x, dgamma 20x).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <string>

#include "reference/backward_dx.hpp"
#include "reference/backward_oracle.hpp"
#include "reference/backward_sums.hpp"
#include "reference/format.hpp"

namespace {

using normcheck::ref::BackwardProblem;
using normcheck::ref::Format;
namespace detail = normcheck::ref::detail;

constexpr std::int64_t kRows = 64;
constexpr std::int64_t kN = 1024;

BackwardProblem make_problem() {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> dist(0.0, 1.0);
  std::normal_distribution<double> param(1.0, 0.1);
  BackwardProblem p;
  p.op = normcheck::ref::Op::layernorm;
  p.rows = kRows;
  p.n = kN;
  p.eps = static_cast<double>(1e-5f);
  for (std::int64_t i = 0; i < kRows * kN; ++i) {
    p.x.push_back(static_cast<double>(static_cast<float>(dist(rng))));
    p.dy.push_back(static_cast<double>(static_cast<float>(dist(rng))));
  }
  for (std::int64_t i = 0; i < kN; ++i) p.gamma.push_back(static_cast<double>(static_cast<float>(param(rng))));
  return p;
}

// Textbook fp64 row statistics (two-pass).
void plain_stats(const double* x, std::size_t n, double eps, double& mean, double& rstd) {
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) sum += x[i];
  mean = sum / static_cast<double>(n);
  double squares = 0.0;
  for (std::size_t i = 0; i < n; ++i) squares += (x[i] - mean) * (x[i] - mean);
  rstd = 1.0 / std::sqrt(squares / static_cast<double>(n) + eps);
}

// Textbook fp64 dx of every row, rounded to f32 by the native conversion.
void plain_dx(const BackwardProblem& p, std::vector<float>& dx) {
  const auto n = static_cast<std::size_t>(p.n);
  for (std::size_t r = 0; r < static_cast<std::size_t>(p.rows); ++r) {
    const double* x = p.x.data() + r * n;
    const double* dy = p.dy.data() + r * n;
    double mean, rstd;
    plain_stats(x, n, p.eps, mean, rstd);
    double sum_g = 0.0, sum_gx = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const double g = p.gamma[i] * dy[i];
      sum_g += g;
      sum_gx += g * (x[i] - mean) * rstd;
    }
    const double mean_g = sum_g / static_cast<double>(n), mean_gx = sum_gx / static_cast<double>(n);
    for (std::size_t i = 0; i < n; ++i) {
      const double xhat = (x[i] - mean) * rstd;
      dx[r * n + i] = static_cast<float>(rstd * (p.gamma[i] * dy[i] - mean_g - xhat * mean_gx));
    }
  }
}

// Plain fp64 dgamma_j = sum_r dy_rj xhat_rj (and dbeta_j = sum_r dy_rj when with_beta).
void plain_sums(const BackwardProblem& p, const std::vector<double>& mean, const std::vector<double>& rstd,
                std::vector<double>& dgamma, std::vector<double>& dbeta, bool with_beta) {
  const auto n = static_cast<std::size_t>(p.n);
  std::fill(dgamma.begin(), dgamma.end(), 0.0);
  std::fill(dbeta.begin(), dbeta.end(), 0.0);
  for (std::size_t r = 0; r < static_cast<std::size_t>(p.rows); ++r) {
    const double* x = p.x.data() + r * n;
    const double* dy = p.dy.data() + r * n;
    for (std::size_t j = 0; j < n; ++j) dgamma[j] += dy[j] * ((x[j] - mean[r]) * rstd[r]);
    if (with_beta) {
      for (std::size_t j = 0; j < n; ++j) dbeta[j] += dy[j];
    }
  }
}

void set_per_element(benchmark::State& state, std::int64_t elements) {
  state.counters["per_elem"] = benchmark::Counter(
      static_cast<double>(elements), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_fp64_dx(benchmark::State& state) {
  const BackwardProblem p = make_problem();
  std::vector<float> dx(p.x.size());
  for (auto _ : state) {
    plain_dx(p, dx);
    benchmark::DoNotOptimize(dx.data());
    benchmark::ClobberMemory();
  }
  set_per_element(state, kRows * kN);
}

void BM_oracle_dx(benchmark::State& state) {
  const BackwardProblem p = make_problem();
  std::vector<double> dx(p.x.size()), dx_exact(p.x.size());
  detail::ExactRowStats stats;
  detail::DxScratch scratch;
  for (auto _ : state) {
    for (std::int64_t r = 0; r < kRows; ++r) {
      // As compute_backward_oracle: x's precision (f32) lets the vector statistics take the row.
      const detail::RowInput input{p.x.data() + r * kN, nullptr, kN, p.eps, p.op,
                                   normcheck::ref::traits(Format::f32).precision};
      detail::compute_exact_stats(input, stats);
      const detail::BackwardRow row{input, &stats, p.dy.data() + r * kN, p.gamma.data()};
      detail::backward_dx_row(row, Format::f32, false, scratch, dx.data() + r * kN, dx_exact.data() + r * kN);
    }
    benchmark::DoNotOptimize(dx.data());
  }
  set_per_element(state, kRows * kN);
}

void BM_fp64_dgamma(benchmark::State& state) {
  const BackwardProblem p = make_problem();
  std::vector<double> mean(kRows), rstd(kRows), dgamma(kN), dbeta(kN);
  for (std::int64_t r = 0; r < kRows; ++r) plain_stats(p.x.data() + r * kN, kN, p.eps, mean[r], rstd[r]);
  std::vector<float> out(kN);
  for (auto _ : state) {
    plain_sums(p, mean, rstd, dgamma, dbeta, false);
    for (std::int64_t j = 0; j < kN; ++j) out[j] = static_cast<float>(dgamma[j]);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_per_element(state, kRows * kN);
}

void BM_oracle_dgamma(benchmark::State& state) {
  const BackwardProblem p = make_problem();
  std::vector<detail::ExactRowStats> stats(kRows);
  std::vector<detail::BackwardRow> rows;
  for (std::int64_t r = 0; r < kRows; ++r) {
    const detail::RowInput input{p.x.data() + r * kN, nullptr, kN, p.eps, p.op};
    detail::compute_exact_stats(input, stats[static_cast<std::size_t>(r)]);
    rows.push_back({input, &stats[static_cast<std::size_t>(r)], p.dy.data() + r * kN, p.gamma.data()});
  }
  const detail::ColumnPlan plan{std::vector<char>(kN, 1), std::vector<char>(kN, 0)};
  std::vector<double> dgamma(kN), dgamma_exact(kN);
  std::int64_t capped = 0, exact_count = 0;
  for (auto _ : state) {
    capped +=
        detail::dgamma_columns(rows, kN, Format::f32, false, plan, dgamma.data(), dgamma_exact.data(), exact_count);
    benchmark::DoNotOptimize(dgamma.data());
  }
  if (capped != 0) state.SkipWithError("dgamma reached the precision cap");
  set_per_element(state, kRows * kN);
}

void BM_fp64_backward(benchmark::State& state) {
  const BackwardProblem p = make_problem();
  std::vector<float> dx(p.x.size()), out(2 * kN);
  std::vector<double> mean(kRows), rstd(kRows), dgamma(kN), dbeta(kN);
  for (auto _ : state) {
    plain_dx(p, dx);
    for (std::int64_t r = 0; r < kRows; ++r) plain_stats(p.x.data() + r * kN, kN, p.eps, mean[r], rstd[r]);
    plain_sums(p, mean, rstd, dgamma, dbeta, true);
    for (std::int64_t j = 0; j < kN; ++j) {
      out[j] = static_cast<float>(dgamma[j]);
      out[kN + j] = static_cast<float>(dbeta[j]);
    }
    benchmark::DoNotOptimize(dx.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_per_element(state, kRows * kN);
}

void BM_oracle_backward(benchmark::State& state, bool force_exact) {
  const BackwardProblem p = make_problem();
  for (auto _ : state) {
    auto result = normcheck::ref::compute_backward_oracle(p, {.force_exact = force_exact});
    benchmark::DoNotOptimize(result.dx.data());
  }
  set_per_element(state, kRows * kN);
}

BENCHMARK(BM_fp64_dx);
BENCHMARK(BM_oracle_dx);
BENCHMARK(BM_fp64_dgamma);
BENCHMARK(BM_oracle_dgamma);
BENCHMARK(BM_fp64_backward);
BENCHMARK_CAPTURE(BM_oracle_backward, fast, false);
BENCHMARK_CAPTURE(BM_oracle_backward, forced_exact, true)->Iterations(1);

// Keeps each run's CPU time per iteration (robust on a shared machine) for the ratios.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) times_[run.benchmark_name()] = run.GetAdjustedCPUTime();
    ConsoleReporter::ReportRuns(runs);
  }
  void print_ratios() const {
    const std::pair<const char*, const char*> pairs[] = {
        {"BM_oracle_dx", "BM_fp64_dx"},
        {"BM_oracle_dgamma", "BM_fp64_dgamma"},
        {"BM_oracle_backward/fast", "BM_fp64_backward"},
        {"BM_oracle_backward/forced_exact/iterations:1", "BM_fp64_backward"},
    };
    for (const auto& [oracle, base] : pairs) {
      const auto a = times_.find(oracle);
      const auto b = times_.find(base);
      if (a == times_.end() || b == times_.end()) continue;
      std::printf("ratio %-46s / %-18s = %.2f\n", oracle, base, a->second / b->second);
    }
  }

 private:
  std::map<std::string, double> times_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratios();
  benchmark::Shutdown();
  return 0;
}
