// Independent codecs, the long double reference and the tolerance check for the kernel tests.
#include "kernel_test_support.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

#include "impls/abi_names.hpp"

namespace normcheck::impls::testing {

FormatSpec format_spec(normcheck_dtype dtype) {
  switch (dtype) {
    case NORMCHECK_F16: return {11, -14, 65504.0L};
    case NORMCHECK_BF16: return {8, -126, 0x1.fep127L};
    case NORMCHECK_F32: return {24, -126, static_cast<long double>(std::numeric_limits<float>::max())};
    case NORMCHECK_F64: return {53, -1022, static_cast<long double>(std::numeric_limits<double>::max())};
  }
  return {0, 0, 0};
}

long double ulp_at(normcheck_dtype dtype, long double v) {
  const FormatSpec f = format_spec(dtype);
  const int e = v == 0 ? f.emin : std::max(static_cast<int>(std::ilogb(v)), f.emin);
  return std::ldexp(1.0L, e - f.precision + 1);
}

long double round_to(normcheck_dtype dtype, long double v) {
  if (!std::isfinite(v) || v == 0) return v;
  const long double ulp = ulp_at(dtype, v);
  const long double rounded = std::nearbyint(v / ulp) * ulp;  // default mode: nearest even
  if (std::fabs(rounded) > format_spec(dtype).max) return std::copysign(INFINITY, v);
  return rounded;
}

namespace {

uint16_t f16_bits(long double v) {
  const uint16_t sign = std::signbit(v) ? 0x8000 : 0;
  const long double a = std::fabs(v);
  if (std::isnan(v)) return 0x7e00;
  if (std::isinf(v)) return static_cast<uint16_t>(sign | 0x7c00);
  if (a < 0x1p-14L) return static_cast<uint16_t>(sign | static_cast<uint16_t>(a * 0x1p24L));
  const int e = std::ilogb(a);
  const auto mantissa = static_cast<uint32_t>(std::ldexp(a, 10 - e) - 1024);
  return static_cast<uint16_t>(sign | static_cast<uint32_t>((e + 15) << 10) | mantissa);
}

long double f16_value(uint16_t bits) {
  const int exponent = (bits >> 10) & 0x1f;
  const int mantissa = bits & 0x3ff;
  long double v;
  if (exponent == 0x1f) {
    v = mantissa ? NAN : INFINITY;
  } else if (exponent == 0) {
    v = std::ldexp(static_cast<long double>(mantissa), -24);
  } else {
    v = std::ldexp(static_cast<long double>(mantissa + 1024), exponent - 25);
  }
  return (bits & 0x8000) ? -v : v;
}

}  // namespace

void encode(normcheck_dtype dtype, long double v, void* base, int64_t index) {
  switch (dtype) {
    case NORMCHECK_F16: static_cast<uint16_t*>(base)[index] = f16_bits(v); return;
    case NORMCHECK_BF16: {
      uint32_t bits;
      const auto f = static_cast<float>(v);  // exact: v is a bf16 value
      std::memcpy(&bits, &f, 4);
      static_cast<uint16_t*>(base)[index] = static_cast<uint16_t>(bits >> 16);
      return;
    }
    case NORMCHECK_F32: static_cast<float*>(base)[index] = static_cast<float>(v); return;
    case NORMCHECK_F64: static_cast<double*>(base)[index] = static_cast<double>(v); return;
  }
}

long double decode(normcheck_dtype dtype, const void* base, int64_t index) {
  switch (dtype) {
    case NORMCHECK_F16: return f16_value(static_cast<const uint16_t*>(base)[index]);
    case NORMCHECK_BF16: {
      const uint32_t bits = static_cast<uint32_t>(static_cast<const uint16_t*>(base)[index]) << 16;
      float f;
      std::memcpy(&f, &bits, 4);
      return f;
    }
    case NORMCHECK_F32: return static_cast<const float*>(base)[index];
    case NORMCHECK_F64: return static_cast<const double*>(base)[index];
  }
  return NAN;
}

Outputs run_kernel(const normcheck_kernel& kernel, const Case& c) {
  const auto total = static_cast<size_t>(c.rows * c.n);
  Typed x(kernel.x_dtype, c.x), residual(kernel.x_dtype, c.residual);
  Typed gamma(kernel.param_dtype, c.gamma), beta(kernel.param_dtype, c.beta);
  Typed y(kernel.y_dtype, total), residual_out(kernel.x_dtype, total);
  const bool fused = (kernel.flags & NORMCHECK_FUSED_RESIDUAL) && !c.residual.empty();
  const bool stats = (kernel.flags & NORMCHECK_WRITES_STATS) != 0;
  Outputs out;
  out.mean.assign(static_cast<size_t>(c.rows), NAN);
  out.rstd.assign(static_cast<size_t>(c.rows), NAN);
  normcheck_problem p{};
  p.rows = c.rows;
  p.n = c.n;
  p.eps = c.eps;
  p.x = x.data();
  p.residual = residual.data();
  p.gamma = gamma.data();
  p.beta = beta.data();
  p.y = y.data();
  p.residual_out = fused ? residual_out.data() : nullptr;
  p.mean = stats ? out.mean.data() : nullptr;
  p.rstd = stats ? out.rstd.data() : nullptr;
  out.status = kernel.run(&kernel, &p);
  out.y = y.values(total);
  if (fused) out.residual_out = residual_out.values(total);
  return out;
}

Reference reference(const normcheck_kernel& kernel, const Case& c) {
  Reference ref;
  const auto n = static_cast<size_t>(c.n);
  const bool rounded_sum = (kernel.flags & NORMCHECK_NORMALIZES_ROUNDED_SUM) != 0;
  for (size_t r = 0; r < static_cast<size_t>(c.rows); ++r) {
    std::vector<long double> z(n);
    bool finite = true;
    for (size_t i = 0; i < n; ++i) {
      z[i] = c.x[r * n + i];
      if (!c.residual.empty()) {
        z[i] += c.residual[r * n + i];
        ref.residual_out.push_back(round_to(kernel.x_dtype, z[i]));
        if (rounded_sum) z[i] = round_to(kernel.x_dtype, z[i]);
      }
      finite = finite && std::isfinite(z[i]);
    }
    long double mean = 0, sum_sq = 0;
    if (kernel.op == NORMCHECK_LAYERNORM) {
      for (long double v : z) mean += v;
      mean /= static_cast<long double>(n);
    }
    for (long double v : z) sum_sq += (v - mean) * (v - mean);
    const long double rstd = 1 / std::sqrt(sum_sq / static_cast<long double>(n) + c.eps);
    ref.mean.push_back(finite ? mean : NAN);
    ref.rstd.push_back(finite ? rstd : NAN);
    // A backward-stable mean is off by about u * mean(|z|), so that (not only |mean|) is the
    // scale the deviations are known to; RMSNorm has no mean to subtract.
    long double mean_abs = 0;
    if (kernel.op == NORMCHECK_LAYERNORM) {
      for (long double v : z) mean_abs += std::fabs(v);
      mean_abs /= static_cast<long double>(n);
    }
    for (size_t i = 0; i < n; ++i) {
      const long double g = c.gamma.empty() ? 1 : c.gamma[i];
      const long double b = c.beta.empty() ? 0 : c.beta[i];
      ref.y.push_back(finite ? (z[i] - mean) * rstd * g + b : NAN);
      ref.scale.push_back(std::fabs(g) * (std::fabs(z[i]) + mean_abs) * rstd + std::fabs(b));
    }
  }
  return ref;
}

long double unit_roundoff(normcheck_dtype compute) {
  return std::ldexp(1.0L, -format_spec(compute).precision);
}

namespace {

bool same_special(long double a, long double b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}

std::string describe(const char* what, size_t index, long double got, long double want,
                     long double bound) {
  std::ostringstream s;
  s.precision(std::numeric_limits<long double>::max_digits10);
  s << what << "[" << index << "] = " << got << ", reference " << want << ", allowed error " << bound;
  return s.str();
}

}  // namespace

std::optional<std::string> first_mismatch(const KernelInfo& info, const Case& c, double k,
                                          double* worst_ratio) {
  const normcheck_kernel& kernel = *info.kernel;
  const Outputs out = run_kernel(kernel, c);
  if (out.status != NORMCHECK_OK) return "status " + std::to_string(out.status);
  const Reference ref = reference(kernel, c);
  const long double u = unit_roundoff(info.compute);
  double worst = 0;
  for (size_t i = 0; i < ref.y.size(); ++i) {
    const long double want = round_to(kernel.y_dtype, ref.y[i]);
    if (!std::isfinite(want) || !std::isfinite(out.y[i])) {
      if (!same_special(out.y[i], want)) return describe("y", i, out.y[i], want, 0);
      continue;
    }
    const long double err = std::fabs(out.y[i] - ref.y[i]);
    const long double ulp = ulp_at(kernel.y_dtype, ref.y[i]);
    const long double bound = ulp + k * u * ref.scale[i];
    if (ref.scale[i] > 0) {  // compute error beyond the final rounding's half ulp
      const long double beyond_rounding = std::max(0.0L, err - ulp / 2);
      worst = std::max(worst, static_cast<double>(beyond_rounding / (u * ref.scale[i])));
    }
    if (worst_ratio) *worst_ratio = worst;
    if (!(err <= bound)) return describe("y", i, out.y[i], ref.y[i], bound);
  }
  for (size_t i = 0; i < out.residual_out.size(); ++i) {
    if (!same_special(out.residual_out[i], ref.residual_out[i])) {
      return describe("residual_out", i, out.residual_out[i], ref.residual_out[i], 0);
    }
  }
  if (!(kernel.flags & NORMCHECK_WRITES_STATS)) return std::nullopt;
  for (size_t r = 0; r < ref.mean.size(); ++r) {
    const long double mean = ref.mean[r], rstd = round_to(NORMCHECK_F32, ref.rstd[r]);
    if (std::isnan(mean)) {
      if (!std::isnan(out.mean[r]) || !std::isnan(out.rstd[r])) return describe("stats", r, out.mean[r], mean, 0);
      continue;
    }
    const long double spread = 1 / ref.rstd[r];
    const long double mean_bound = ulp_at(NORMCHECK_F32, mean) + k * u * (std::fabs(mean) + spread);
    const long double stored_mean = round_to(NORMCHECK_F32, mean);  // inf beyond fp32's range
    const bool mean_ok = std::isinf(stored_mean) ? out.mean[r] == stored_mean
                                                 : std::fabs(out.mean[r] - mean) <= mean_bound;
    if (!mean_ok) return describe("mean", r, out.mean[r], mean, mean_bound);
    if (!std::isfinite(rstd)) {
      if (out.rstd[r] != rstd) return describe("rstd", r, out.rstd[r], rstd, 0);
      continue;
    }
    long double row_max = 0;
    for (size_t i = 0; i < static_cast<size_t>(c.n); ++i) {
      row_max = std::max(row_max, std::fabs(c.x[r * static_cast<size_t>(c.n) + i]));
    }
    // var is built from deviations, each off by about u * (|x_i| + |mean|).
    const long double rstd_bound =
        ulp_at(NORMCHECK_F32, rstd) + k * u * rstd * (1 + (row_max + std::fabs(mean)) * ref.rstd[r]);
    if (!(std::fabs(out.rstd[r] - rstd) <= rstd_bound)) return describe("rstd", r, out.rstd[r], rstd, rstd_bound);
  }
  return std::nullopt;
}

std::vector<long double> normal_values(std::mt19937_64& rng, normcheck_dtype dtype, int64_t count,
                                       long double mean, long double spread) {
  std::normal_distribution<double> normal;
  std::vector<long double> out(static_cast<size_t>(count));
  for (auto& v : out) v = round_to(dtype, mean + spread * normal(rng));
  return out;
}

Case random_case(const normcheck_kernel& kernel, std::mt19937_64& rng, int64_t rows, int64_t n,
                 long double mean, long double spread) {
  Case c;
  c.rows = rows;
  c.n = n;
  c.x = normal_values(rng, kernel.x_dtype, rows * n, mean, spread);
  if (kernel.flags & NORMCHECK_FUSED_RESIDUAL) {
    c.residual = normal_values(rng, kernel.x_dtype, rows * n, 0, spread);
  }
  c.gamma = normal_values(rng, kernel.param_dtype, n, 1, 0.5);
  c.beta = normal_values(rng, kernel.param_dtype, n, 0, 1);
  return c;
}

}  // namespace normcheck::impls::testing
