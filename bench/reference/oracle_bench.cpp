// ns per element of the correctly rounded oracle versus a plain (not correctly rounded)
// fp64 two-pass LayerNorm on the same rows, n = 1024; prints oracle / fp64 ratios. The
// baseline (plain_two_pass.cpp) is textbook C++ at -O2 with the native (float) cast.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <string>

#include "bench/reference/plain_two_pass.hpp"
#include "reference/oracle.hpp"

namespace {

using normcheck::ref::Format;
using normcheck::ref::NormProblem;

constexpr std::int64_t kRows = 64;
constexpr std::int64_t kN = 1024;

enum class Data { f32_normal, f32_offset, f16_normal };

NormProblem make_problem(Data data) {
  std::mt19937_64 rng(42);
  const bool offset = data == Data::f32_offset;
  std::normal_distribution<double> dist(offset ? 1e4 : 0.0, offset ? 1e-2 : 1.0);
  const Format x_format = data == Data::f16_normal ? Format::f16 : Format::f32;
  NormProblem p;
  p.op = normcheck::ref::Op::layernorm;
  p.x_format = p.y_format = x_format;
  p.param_format = Format::f32;
  p.rows = kRows;
  p.n = kN;
  p.eps = static_cast<double>(1e-5f);
  for (std::int64_t i = 0; i < kRows * kN; ++i)
    p.x.push_back(normcheck::ref::round_to_format(x_format, dist(rng)));
  std::normal_distribution<double> param(1.0, 0.1);
  for (std::int64_t i = 0; i < kN; ++i) {
    p.gamma.push_back(static_cast<double>(static_cast<float>(param(rng))));
    p.beta.push_back(static_cast<double>(static_cast<float>(param(rng) - 1.0)));
  }
  return p;
}

void set_per_element(benchmark::State& state) {
  // Inverted rate: seconds per element, printed with its unit (e.g. "7.6ns").
  state.counters["per_elem"] = benchmark::Counter(
      static_cast<double>(kRows * kN),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_fp64_two_pass(benchmark::State& state, Data data) {
  const NormProblem p = make_problem(data);
  std::vector<float> y(p.x.size());
  for (auto _ : state) {
    normcheck::bench::plain_fp64_two_pass(p, y);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  set_per_element(state);
}

// compute_oracle: a fresh OracleResult per call. Its 1 MiB of y and y_exact are new pages each
// time here (glibc returns them to the kernel on free), which the baseline, writing into one
// buffer, never pays: the difference is page faults, not the oracle (docs/oracle.md).
void BM_oracle(benchmark::State& state, Data data, bool force_exact) {
  const NormProblem p = make_problem(data);
  for (auto _ : state) {
    auto result = normcheck::ref::compute_oracle(p, {.force_exact = force_exact});
    benchmark::DoNotOptimize(result.y.data());
  }
  set_per_element(state);
}

// compute_oracle_into with one result reused across calls: output storage handled as the
// baseline's is, and as a fuzzer or sweep runs the oracle.
void BM_oracle_reused(benchmark::State& state, Data data) {
  const NormProblem p = make_problem(data);
  normcheck::ref::OracleResult result;
  for (auto _ : state) {
    normcheck::ref::compute_oracle_into(p, {}, result);
    benchmark::DoNotOptimize(result.y.data());
  }
  set_per_element(state);
}

BENCHMARK_CAPTURE(BM_fp64_two_pass, f32_normal, Data::f32_normal);
BENCHMARK_CAPTURE(BM_oracle_reused, f32_normal, Data::f32_normal);
BENCHMARK_CAPTURE(BM_oracle, f32_normal, Data::f32_normal, false);
BENCHMARK_CAPTURE(BM_fp64_two_pass, f32_offset, Data::f32_offset);
BENCHMARK_CAPTURE(BM_oracle_reused, f32_offset, Data::f32_offset);
BENCHMARK_CAPTURE(BM_oracle, f32_offset, Data::f32_offset, false);
BENCHMARK_CAPTURE(BM_fp64_two_pass, f16_normal, Data::f16_normal);
BENCHMARK_CAPTURE(BM_oracle_reused, f16_normal, Data::f16_normal);
BENCHMARK_CAPTURE(BM_oracle, f16_normal, Data::f16_normal, false);
BENCHMARK_CAPTURE(BM_oracle, f32_normal_forced_exact, Data::f32_normal, true)->Iterations(2);

// Keeps each run's time per iteration so the ratios can be printed after the table.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs)
      times_[run.benchmark_name()] =
          run.GetAdjustedCPUTime();  // CPU time: robust on a shared machine
    ConsoleReporter::ReportRuns(runs);
  }
  void print_ratios() const {
    struct Line {
      const char* label;
      std::string oracle;
      const char* data;
    };
    const Line lines[] = {
        {"f32_normal", "BM_oracle_reused/f32_normal", "f32_normal"},
        {"f32_offset", "BM_oracle_reused/f32_offset", "f32_offset"},
        {"f16_normal", "BM_oracle_reused/f16_normal", "f16_normal"},
        {"f32_normal_fresh_result", "BM_oracle/f32_normal", "f32_normal"},
        {"f32_offset_fresh_result", "BM_oracle/f32_offset", "f32_offset"},
        {"f16_normal_fresh_result", "BM_oracle/f16_normal", "f16_normal"},
        {"f32_normal_forced_exact", "BM_oracle/f32_normal_forced_exact/iterations:2", "f32_normal"},
        // The f16 baseline pays the project's scalar rounding per output (its loop does not
        // vectorize, the f32 one does): the f16 oracle against the cheaper f32 baseline too.
        {"f16_normal_vs_f32_base", "BM_oracle_reused/f16_normal", "f32_normal"},
    };
    for (const Line& line : lines) {
      const auto oracle = times_.find(line.oracle);
      const auto base = times_.find(std::string("BM_fp64_two_pass/") + line.data);
      if (oracle == times_.end() || base == times_.end()) continue;
      std::printf("ratio %-24s oracle / fp64 two-pass = %.2f\n", line.label,
                  oracle->second / base->second);
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
