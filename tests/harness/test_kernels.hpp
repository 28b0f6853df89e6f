// Test-local kernels for the harness tests: an oracle-backed "perfect" kernel and the
// ABI plumbing (decode a normcheck_problem, encode outputs) that broken variants reuse.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "impls/registry.hpp"
#include "normcheck/kernel_abi.h"
#include "reference/oracle.hpp"

namespace normcheck::harness::testing {

inline ref::Format format_of(normcheck_dtype dtype) { return static_cast<ref::Format>(dtype); }

inline double load_value(ref::Format format, const void* base, std::int64_t index) {
  const auto* bytes = static_cast<const unsigned char*>(base);
  const int width = ref::traits(format).bits / 8;
  std::uint64_t bits = 0;
  if (width == 2) {
    std::uint16_t v = 0;
    std::memcpy(&v, bytes + index * 2, 2);
    bits = v;
  } else if (width == 4) {
    std::uint32_t v = 0;
    std::memcpy(&v, bytes + index * 4, 4);
    bits = v;
  } else {
    std::memcpy(&bits, bytes + index * 8, 8);
  }
  return ref::from_bits(format, bits);
}

inline void store_value(ref::Format format, void* base, std::int64_t index, double value) {
  auto* bytes = static_cast<unsigned char*>(base);
  const std::uint64_t bits = ref::to_bits(format, value);
  const int width = ref::traits(format).bits / 8;
  if (width == 2) {
    const auto v = static_cast<std::uint16_t>(bits);
    std::memcpy(bytes + index * 2, &v, 2);
  } else if (width == 4) {
    const auto v = static_cast<std::uint32_t>(bits);
    std::memcpy(bytes + index * 4, &v, 4);
  } else {
    std::memcpy(bytes + index * 8, &bits, 8);
  }
}

// The problem a kernel was handed, as exact doubles.
inline ref::NormProblem decode_problem(const normcheck_kernel& k, const normcheck_problem& p) {
  ref::NormProblem out;
  out.op = static_cast<ref::Op>(k.op);
  out.x_format = format_of(k.x_dtype);
  out.param_format = format_of(k.param_dtype);
  out.y_format = format_of(k.y_dtype);
  out.rows = p.rows;
  out.n = p.n;
  out.eps = p.eps;
  const auto load_all = [](ref::Format f, const void* base, std::int64_t count) {
    std::vector<double> values;
    if (base == nullptr) return values;
    for (std::int64_t i = 0; i < count; ++i) values.push_back(load_value(f, base, i));
    return values;
  };
  out.x = load_all(out.x_format, p.x, p.rows * p.n);
  out.residual = load_all(out.x_format, p.residual, p.rows * p.n);
  out.gamma = load_all(out.param_format, p.gamma, p.n);
  out.beta = load_all(out.param_format, p.beta, p.n);
  out.residual_sum = (k.flags & NORMCHECK_NORMALIZES_ROUNDED_SUM) != 0 ? ref::ResidualSum::rounded
                                                                      : ref::ResidualSum::exact;
  return out;
}

// What a test kernel may change about the perfect answer before it is written.
struct Tamper {
  std::function<void(const ref::NormProblem&, ref::OracleResult&)> outputs;
  std::function<normcheck_status(const ref::NormProblem&)> status;
  bool skip_last_y = false;
  bool write_before_y = false;
};

// Writes the oracle's answer (optionally tampered with): a kernel that is exactly right.
inline normcheck_status perfect_run(const normcheck_kernel* self, const normcheck_problem* p) {
  const auto* tamper = static_cast<const Tamper*>(self->context);
  const ref::NormProblem problem = decode_problem(*self, *p);
  if (tamper != nullptr && tamper->status) {
    const normcheck_status status = tamper->status(problem);
    if (status != NORMCHECK_OK) return status;
  }
  ref::OracleResult result = ref::compute_oracle(problem);
  if (tamper != nullptr && tamper->outputs) tamper->outputs(problem, result);
  std::int64_t count = p->rows * p->n;
  if (tamper != nullptr && tamper->skip_last_y) --count;
  for (std::int64_t i = 0; i < count; ++i) store_value(problem.y_format, p->y, i, result.y[static_cast<std::size_t>(i)]);
  if (tamper != nullptr && tamper->write_before_y) store_value(problem.y_format, p->y, -1, 0.0);
  if (p->residual_out != nullptr) {
    for (std::int64_t i = 0; i < p->rows * p->n; ++i) {
      store_value(problem.x_format, p->residual_out, i, result.residual_out[static_cast<std::size_t>(i)]);
    }
  }
  if (p->mean != nullptr) {
    for (std::int64_t r = 0; r < p->rows; ++r) {
      const auto ru = static_cast<std::size_t>(r);
      p->mean[r] = static_cast<float>(result.mean[ru]);
      p->rstd[r] = static_cast<float>(result.rstd[ru]);
    }
  }
  return NORMCHECK_OK;
}

// A kernel struct plus the KernelInfo the harness takes; owns its Tamper.
struct TestKernel {
  normcheck_kernel kernel{};
  Tamper tamper;
  impls::KernelInfo info;

  TestKernel(const char* name, normcheck_op op, normcheck_dtype x, normcheck_dtype param,
             normcheck_dtype y, std::uint32_t flags, Tamper how = {})
      : tamper(std::move(how)) {
    kernel = normcheck_kernel{name, op, x, param, y, flags, &tamper, &perfect_run};
    info.kernel = &kernel;
    info.compute = NORMCHECK_F32;
    info.origin = impls::KernelOrigin::builtin;
  }
  TestKernel(const TestKernel&) = delete;
  TestKernel& operator=(const TestKernel&) = delete;
};

// A small deterministic generator (tests must not depend on the std engines' output).
class Lcg {
 public:
  explicit Lcg(std::uint64_t seed) : state_(seed * 2 + 1) {}
  std::uint64_t next() {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return state_ >> 11;
  }
  // Uniform in [-1, 1).
  double symmetric() { return static_cast<double>(next()) * 0x1p-52 - 1.0; }

 private:
  std::uint64_t state_;
};

// An ordinary problem: values around `center` with spread `spread`, rounded to the formats.
inline ref::NormProblem ordinary_problem(ref::Op op, ref::Format x_format, ref::Format param_format,
                                         ref::Format y_format, std::int64_t rows, std::int64_t n,
                                         std::uint64_t seed, double center = 0.25, double spread = 2.0,
                                         bool params = true) {
  Lcg rng(seed);
  ref::NormProblem p;
  p.op = op;
  p.x_format = x_format;
  p.param_format = param_format;
  p.y_format = y_format;
  p.rows = rows;
  p.n = n;
  p.eps = 0x1.4f8b58p-17;  // ~1e-5, exactly an f32
  for (std::int64_t i = 0; i < rows * n; ++i) {
    p.x.push_back(ref::round_to_format(x_format, center + spread * rng.symmetric()));
  }
  if (params) {
    for (std::int64_t i = 0; i < n; ++i) {
      p.gamma.push_back(ref::round_to_format(param_format, 1.0 + 0.5 * rng.symmetric()));
      p.beta.push_back(ref::round_to_format(param_format, 0.25 * rng.symmetric()));
    }
  }
  return p;
}

}  // namespace normcheck::harness::testing
