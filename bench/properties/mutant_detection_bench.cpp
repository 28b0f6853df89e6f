// Seconds from a mutant's first case to its finding, and to its shrunk case, under the
// defaults of `normcheck check`: how quickly the gate catches each seeded bug. The
// self-validation test (tests/properties/mutant_detection_test.cpp) checks that each is
// caught and shrunk; this measures how fast (a few ms each in a release build; the test
// asserted under 10 s until the timing moved here). Wall time: the cases run in a worker.
#include <algorithm>
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "harness/checker.hpp"
#include "properties/case_source.hpp"

namespace {

namespace harness = normcheck::harness;

void detect(benchmark::State& state, const normcheck::impls::KernelInfo& mutant) {
  harness::CheckOptions options;  // the defaults of `normcheck check`
  options.failures_dir = std::filesystem::temp_directory_path() / "normcheck-mutant-detection-bench";
  const harness::CaseSource source = normcheck::props::make_case_source();
  double detect_s = 0;
  double shrink_s = 0;
  for (auto _ : state) {
    const harness::CheckReport report = harness::run_check({mutant}, harness::BudgetTable{}, source, options);
    if (report.kernels.empty() || report.kernels.front().findings.empty()) {
      state.SkipWithError("not caught");
      return;
    }
    // The first defect found: its detection and its shrink are the time to catch the mutant.
    const auto& findings = report.kernels.front().findings;
    const auto first = std::min_element(findings.begin(), findings.end(), [](const auto& a, const auto& b) {
      return a.seconds_to_detect < b.seconds_to_detect;
    });
    detect_s += first->seconds_to_detect;
    shrink_s += first->seconds_to_shrink;
  }
  state.counters["detect_s"] = benchmark::Counter(detect_s, benchmark::Counter::kAvgIterations);
  state.counters["shrink_s"] = benchmark::Counter(shrink_s, benchmark::Counter::kAvgIterations);
}

}  // namespace

int main(int argc, char** argv) {
  for (const auto& kernel : normcheck::impls::builtin_kernels()) {
    if (!kernel.mutant) continue;
    benchmark::RegisterBenchmark(kernel.kernel->name, [kernel](benchmark::State& state) { detect(state, kernel); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
