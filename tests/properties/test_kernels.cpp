// Test-local kernels for the checker's tests (see test_kernels.hpp).
#include "test_kernels.hpp"

#include <cmath>
#include <csignal>
#include <cstring>
#include <vector>

#include "reference/oracle.hpp"

namespace normcheck::testing {
namespace {

ref::NormProblem to_problem(const normcheck_problem* p) {
  ref::NormProblem problem;
  problem.rows = p->rows;
  problem.n = p->n;
  problem.eps = p->eps;
  const auto* x = static_cast<const float*>(p->x);
  problem.x.assign(x, x + p->rows * p->n);
  if (p->gamma != nullptr) {
    const auto* g = static_cast<const float*>(p->gamma);
    problem.gamma.assign(g, g + p->n);
  }
  if (p->beta != nullptr) {
    const auto* b = static_cast<const float*>(p->beta);
    problem.beta.assign(b, b + p->n);
  }
  return problem;
}

normcheck_status exact_run(const normcheck_kernel*, const normcheck_problem* p) {
  const auto oracle = ref::compute_oracle(to_problem(p));
  auto* y = static_cast<float*>(p->y);
  for (std::size_t i = 0; i < oracle.y.size(); ++i) y[i] = static_cast<float>(oracle.y[i]);
  return NORMCHECK_OK;
}

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
  return exact_run(self, p);
}

normcheck_status wide_run(const normcheck_kernel* self, const normcheck_problem* p) {
  const normcheck_status status = exact_run(self, p);
  if (p->n >= 5) {
    auto* y = static_cast<float*>(p->y);
    for (int64_t i = 0; i < p->rows * p->n; ++i)
      if (std::isfinite(y[i])) y[i] = y[i] * 1.5f + 0.25f;
  }
  return status;
}

normcheck_status unsupported_run(const normcheck_kernel*, const normcheck_problem*) { return NORMCHECK_UNSUPPORTED; }

using RunFn = normcheck_status (*)(const normcheck_kernel*, const normcheck_problem*);

// An f32 LayerNorm kernel descriptor. Each public function below keeps its descriptor in a
// function-local static, so the KernelInfo's pointer stays valid for the whole program
// (as KernelInfo requires) without a heap object that nothing owns.
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
  static const normcheck_kernel kernel = make_kernel("test.oracle", exact_run);
  return info_for(kernel);
}
impls::KernelInfo unsupported_kernel() {
  static const normcheck_kernel kernel = make_kernel("test.unsupported", unsupported_run);
  return info_for(kernel);
}

}  // namespace normcheck::testing
