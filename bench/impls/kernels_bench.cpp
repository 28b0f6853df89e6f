// Throughput of every correct built-in kernel (and oneDNN's) on 4096 rows of n = 768 and 4096.
// bytes_per_second counts bytes read (x, residual, gamma, beta) plus written (y, residual_out).
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <vector>

#include "impls/abi_names.hpp"
#include "impls/registry.hpp"

namespace {

using normcheck::impls::KernelInfo;

int64_t size_of(normcheck_dtype dtype) {
  return dtype == NORMCHECK_F64 ? 8 : dtype == NORMCHECK_F32 ? 4 : 2;
}

// Random bit patterns of values in [-4, 4) for any dtype: doubles rounded by truncation are
// fine here, only the timing matters.
std::vector<unsigned char> random_buffer(normcheck_dtype dtype, int64_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> value(-4, 4);
  std::vector<unsigned char> bytes(static_cast<size_t>(count * size_of(dtype)));
  for (int64_t i = 0; i < count; ++i) {
    const double v = value(rng);
    const auto f = static_cast<float>(v);
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    const auto half_bits = static_cast<uint16_t>(bits >> 16);  // bf16 by truncation
    unsigned char* at = bytes.data() + i * size_of(dtype);
    switch (dtype) {
      case NORMCHECK_F64: std::memcpy(at, &v, 8); break;
      case NORMCHECK_F32: std::memcpy(at, &f, 4); break;
      case NORMCHECK_BF16: std::memcpy(at, &half_bits, 2); break;
      case NORMCHECK_F16: {
        const uint16_t h = static_cast<uint16_t>(0x3c00 + (i % 1024));  // values in [1, 2)
        std::memcpy(at, &h, 2);
        break;
      }
    }
  }
  return bytes;
}

void run_kernel(benchmark::State& state, const KernelInfo* info) {
  const normcheck_kernel& k = *info->kernel;
  const int64_t rows = 4096, n = state.range(0);
  const bool fused = (k.flags & NORMCHECK_FUSED_RESIDUAL) != 0;
  auto x = random_buffer(k.x_dtype, rows * n, 1);
  auto residual = random_buffer(k.x_dtype, fused ? rows * n : 0, 2);
  auto gamma = random_buffer(k.param_dtype, n, 3);
  auto beta = random_buffer(k.param_dtype, n, 4);
  std::vector<unsigned char> y(static_cast<size_t>(rows * n * size_of(k.y_dtype)));
  std::vector<unsigned char> residual_out(fused ? static_cast<size_t>(rows * n * size_of(k.x_dtype)) : 0);
  std::vector<float> mean(rows), rstd(rows);
  normcheck_problem p{};
  p.rows = rows;
  p.n = n;
  p.eps = 0x1.4f8b58p-17;
  p.x = x.data();
  p.residual = fused ? residual.data() : nullptr;
  p.gamma = gamma.data();
  p.beta = beta.data();
  p.y = y.data();
  p.residual_out = fused ? residual_out.data() : nullptr;
  const bool stats = (k.flags & NORMCHECK_WRITES_STATS) != 0;
  p.mean = stats ? mean.data() : nullptr;
  p.rstd = stats ? rstd.data() : nullptr;
  for (auto _ : state) {
    if (k.run(&info->self(), &p) != NORMCHECK_OK) {
      state.SkipWithError("kernel did not run");
      return;
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  const int64_t elements = rows * n;
  int64_t bytes = elements * (size_of(k.x_dtype) + size_of(k.y_dtype)) + 2 * n * size_of(k.param_dtype);
  if (fused) bytes += 2 * elements * size_of(k.x_dtype);
  if (stats) bytes += 2 * rows * 4;
  state.SetBytesProcessed(state.iterations() * bytes);
  state.SetLabel(normcheck::impls::origin_label(*info));
}

const bool registered = [] {
  for (const KernelInfo& info : normcheck::impls::builtin_kernels()) {
    if (info.mutant) continue;
    benchmark::RegisterBenchmark(info.kernel->name, run_kernel, &info)
        ->Arg(768)
        ->Arg(4096)
        ->Unit(benchmark::kMillisecond);
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
