// Kernels for the harness tests (see test_kernels.hpp).
#include "tests/support/test_kernels.hpp"

#include <cmath>
#include <csignal>
#include <stdexcept>
#include <string>

#include "tests/support/abi_values.hpp"
#include "impls/plugin_loader.hpp"

namespace normcheck::testing {

normcheck_status perfect_run(const normcheck_kernel* self, const normcheck_problem* p) {
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

namespace {

normcheck_status crash_run(const normcheck_kernel*, const normcheck_problem*) {
  std::raise(SIGSEGV);
  return NORMCHECK_ERROR;
}

normcheck_status hang_run(const normcheck_kernel*, const normcheck_problem*) {
  volatile bool forever = true;
  while (forever) {
  }
  return NORMCHECK_ERROR;
}

normcheck_status crash_on_nan_run(const normcheck_kernel* self, const normcheck_problem* p) {
  const auto* x = static_cast<const float*>(p->x);
  for (int64_t i = 0; i < p->rows * p->n; ++i)
    if (std::isnan(x[i])) std::raise(SIGSEGV);
  return perfect_run(self, p);
}

normcheck_status wide_run(const normcheck_kernel* self, const normcheck_problem* p) {
  const normcheck_status status = perfect_run(self, p);
  if (p->n >= 5) {
    auto* y = static_cast<float*>(p->y);
    for (int64_t i = 0; i < p->rows * p->n; ++i)
      if (std::isfinite(y[i])) y[i] = y[i] * 1.5f + 0.25f;
  }
  return status;
}

normcheck_status unsupported_run(const normcheck_kernel*, const normcheck_problem*) { return NORMCHECK_UNSUPPORTED; }

using RunFn = normcheck_status (*)(const normcheck_kernel*, const normcheck_problem*);

// An f32 LayerNorm kernel descriptor with no Tamper. Each public function below keeps its
// descriptor in a function-local static, so the KernelInfo's pointer stays valid for the
// whole program (as KernelInfo requires) without a heap object that nothing owns.
normcheck_kernel make_kernel(const char* name, RunFn run) {
  normcheck_kernel kernel{};
  kernel.name = name;
  kernel.op = NORMCHECK_LAYERNORM;
  kernel.x_dtype = NORMCHECK_F32;
  kernel.param_dtype = NORMCHECK_F32;
  kernel.y_dtype = NORMCHECK_F32;
  kernel.run = run;
  return kernel;
}

impls::KernelInfo info_for(const normcheck_kernel& kernel) {
  impls::KernelInfo info;
  info.kernel = &kernel;
  info.origin = impls::KernelOrigin::builtin;
  return info;
}

}  // namespace

impls::KernelInfo crashing_kernel() {
  static const normcheck_kernel kernel = make_kernel("test.crash", crash_run);
  return info_for(kernel);
}
impls::KernelInfo hanging_kernel() {
  static const normcheck_kernel kernel = make_kernel("test.hang", hang_run);
  return info_for(kernel);
}
impls::KernelInfo crash_on_nan_kernel() {
  static const normcheck_kernel kernel = make_kernel("test.crash_on_nan", crash_on_nan_run);
  return info_for(kernel);
}
impls::KernelInfo wrong_for_wide_rows() {
  static const normcheck_kernel kernel = make_kernel("test.wrong_wide", wide_run);
  return info_for(kernel);
}
impls::KernelInfo oracle_kernel() {
  static const normcheck_kernel kernel = make_kernel("test.oracle", perfect_run);
  return info_for(kernel);
}
impls::KernelInfo unsupported_kernel() {
  static const normcheck_kernel kernel = make_kernel("test.unsupported", unsupported_run);
  return info_for(kernel);
}

const impls::KernelInfo& builtin_kernel(const char* name) {
  const impls::KernelInfo* found = impls::find_kernel(impls::builtin_kernels(), name);
  if (found == nullptr) throw std::invalid_argument(std::string("no built-in kernel ") + name);
  return *found;
}

}  // namespace normcheck::testing
