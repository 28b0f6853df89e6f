// Test-side tools for the kernel suites: independent dtype codecs, a long double reference,
// typed problem buffers, and the tolerance check every kernel test uses.
#pragma once
#include <cmath>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "impls/registry.hpp"
#include "normcheck/kernel_abi.h"

namespace normcheck::impls::testing {

// Format parameters, written out here so the tests do not reuse the kernels' code.
struct FormatSpec {
  int precision;  // significand bits, implicit bit included
  int emin;       // exponent of the smallest normal
  long double max;
};
FormatSpec format_spec(normcheck_dtype dtype);
// v rounded to nearest even in dtype (overflow to inf), from the format's definition.
long double round_to(normcheck_dtype dtype, long double v);
// Spacing of dtype's values at v (2^(max(floor(log2|v|), emin) - p + 1)).
long double ulp_at(normcheck_dtype dtype, long double v);
// Bits of an exactly representable value, and values from bits.
void encode(normcheck_dtype dtype, long double v, void* base, int64_t index);
long double decode(normcheck_dtype dtype, const void* base, int64_t index);

// A buffer of count elements of a dtype (8-byte aligned storage), encoded from values.
struct Typed {
  normcheck_dtype dtype;
  std::vector<double> storage;  // 8-byte aligned bytes for any dtype
  Typed(normcheck_dtype d, const std::vector<long double>& values) : dtype(d), storage(values.size()) {
    for (size_t i = 0; i < values.size(); ++i) encode(d, values[i], storage.data(), static_cast<int64_t>(i));
  }
  Typed(normcheck_dtype d, size_t count) : dtype(d), storage(count, std::nan("")) {}
  void* data() { return storage.empty() ? nullptr : storage.data(); }
  std::vector<long double> values(size_t count) const {
    std::vector<long double> out(count);
    for (size_t i = 0; i < count; ++i) out[i] = decode(dtype, storage.data(), static_cast<int64_t>(i));
    return out;
  }
};

// A problem in real numbers; every value must already be representable in its dtype.
struct Case {
  int64_t rows = 1, n = 1;
  double eps = 0x1.4f8b58p-17;  // 1e-5 rounded to fp32
  std::vector<long double> x, residual, gamma, beta;  // empty residual / gamma / beta = absent
};

struct Outputs {
  normcheck_status status = NORMCHECK_ERROR;
  std::vector<long double> y, residual_out;
  std::vector<float> mean, rstd;
};

// Encodes the case in the kernel's dtypes, runs it (with residual_out and stats buffers when the
// kernel declares them), and decodes the outputs.
Outputs run_kernel(const normcheck_kernel& kernel, const Case& c);

struct Reference {
  std::vector<long double> y;
  // scale_i = |gamma_i| (|z_i| + mean_j |z_j|) rstd + |beta_i|: the magnitude of the terms that
  // meet in y_i, with mean |z| in place of |mean| since no fp mean is better known than that.
  std::vector<long double> scale;
  std::vector<long double> mean, rstd;
  std::vector<long double> residual_out;  // correctly rounded x + residual
};
// Plain two-pass LayerNorm / RMSNorm in long double (wider than every kernel's compute type).
Reference reference(const normcheck_kernel& kernel, const Case& c);

// Unit roundoff of a compute precision.
long double unit_roundoff(normcheck_dtype compute);

// Empty when every output (y, and residual_out / mean / rstd where the kernel writes them) is
// within tolerance: |err| <= ulp_y(y) + k * u_compute * scale_i, NaN exactly where the reference
// has NaN. Otherwise the first mismatch, described; worst_ratio gets the largest error beyond
// the output's half-ulp rounding, in units of u_compute * scale_i.
std::optional<std::string> first_mismatch(const KernelInfo& info, const Case& c, double k,
                                          double* worst_ratio = nullptr);

// Random values of dtype: mean + spread * N(0,1), rounded to the dtype.
std::vector<long double> normal_values(std::mt19937_64& rng, normcheck_dtype dtype, int64_t count,
                                       long double mean, long double spread);
// A case for the kernel: random x (and residual for fused kernels), gamma, beta.
Case random_case(const normcheck_kernel& kernel, std::mt19937_64& rng, int64_t rows, int64_t n,
                 long double mean = 0, long double spread = 1);

}  // namespace normcheck::impls::testing
