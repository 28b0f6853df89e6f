#include "python/src/python_kernel.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstdio>
#include <exception>

namespace py = pybind11;

namespace normcheck::python {
namespace {

// The NumPy dtype that holds an ABI dtype's bits. NumPy has no bfloat16: its bits travel
// as uint16 and the adapter reinterprets them (torch.bfloat16) without a conversion.
const char* numpy_dtype(normcheck_dtype dtype) {
  switch (dtype) {
    case NORMCHECK_F16: return "float16";
    case NORMCHECK_BF16: return "uint16";
    case NORMCHECK_F32: return "float32";
    case NORMCHECK_F64: return "float64";
  }
  return "float64";
}

// A NumPy array over an ABI buffer, without a copy (the dummy base keeps pybind11 from
// copying). Inputs are read-only: a kernel that writes its input raises, which becomes a
// finding, instead of corrupting the case the judge compares against.
py::object view(const void* data, normcheck_dtype dtype, std::vector<py::ssize_t> shape, bool writable) {
  if (data == nullptr) return py::none();
  py::array array(py::dtype(numpy_dtype(dtype)), shape, const_cast<void*>(data), py::capsule(data, [](void*) {}));
  if (!writable) array.attr("setflags")(py::arg("write") = false);
  return array;
}

// The shapes of a problem's (rows, n) arrays, its n-vectors and its per-row statistics.
struct Shapes {
  std::vector<py::ssize_t> matrix, vector, stats;
};

// What both passes hand the adapter alike: rows, n, eps and x (read-only).
template <class Problem, class Kernel>
Shapes common_args(py::dict& args, const Problem& p, const Kernel& self) {
  Shapes shapes{{p.rows, p.n}, {p.n}, {p.rows}};
  args["rows"] = p.rows;
  args["n"] = p.n;
  args["eps"] = p.eps;
  args["x"] = view(p.x, self.x_dtype, shapes.matrix, false);
  return shapes;
}

// Calls the adapter on the problem's buffers with the GIL held. An exception is the kernel's
// failure on this case, never the harness's: it becomes a status finding (with the case),
// and its text is kept for the result and printed once per distinct text (the shrinker
// re-runs a failing case many times; in an isolated worker, printed text goes with the finding).
template <class Kernel, class FillArgs>
normcheck_status call_adapter(Kernel& kernel, const FillArgs& fill_args) {
  // The engine releases the GIL while it runs; Python code needs it back.
  py::gil_scoped_acquire gil;
  try {
    py::dict args;
    fill_args(args);
    const py::object status = py::reinterpret_borrow<py::object>(kernel.adapter)(args);
    return static_cast<normcheck_status>(status.cast<int>());
  } catch (py::error_already_set& error) {
    const std::string text = error.what();
    auto& seen = kernel.exceptions;
    if (seen.size() < PythonKernel::kMaxExceptions && std::find(seen.begin(), seen.end(), text) == seen.end()) {
      std::fprintf(stderr, "normcheck: %s raised: %s\n", kernel.name.c_str(), text.c_str());
      seen.push_back(text);
    }
    return NORMCHECK_ERROR;
  } catch (const std::exception& error) {
    // A C++ exception (an adapter result that is no int, say) must not cross the C ABI.
    std::fprintf(stderr, "normcheck: %s: %s\n", kernel.name.c_str(), error.what());
    return NORMCHECK_ERROR;
  }
}

normcheck_status run(const normcheck_kernel* self, const normcheck_problem* p) {
  auto& kernel = *reinterpret_cast<PythonKernel*>(const_cast<normcheck_kernel*>(self));
  return call_adapter(kernel, [&](py::dict& args) {
    const Shapes s = common_args(args, *p, *self);
    const auto& [matrix, vector, stats] = s;
    args["residual"] = view(p->residual, self->x_dtype, matrix, false);
    args["gamma"] = view(p->gamma, self->param_dtype, vector, false);
    args["beta"] = view(p->beta, self->param_dtype, vector, false);
    args["y"] = view(p->y, self->y_dtype, matrix, true);
    args["residual_out"] = view(p->residual_out, self->x_dtype, matrix, true);
    args["mean"] = view(p->mean, NORMCHECK_F32, stats, true);
    args["rstd"] = view(p->rstd, NORMCHECK_F32, stats, true);
  });
}

normcheck_status run_backward(const normcheck_backward_kernel* self, const normcheck_backward_problem* p) {
  auto& kernel = *reinterpret_cast<PythonBackwardKernel*>(const_cast<normcheck_backward_kernel*>(self));
  return call_adapter(kernel, [&](py::dict& args) {
    const Shapes s = common_args(args, *p, *self);
    const auto& [matrix, vector, stats] = s;
    args["dy"] = view(p->dy, self->y_dtype, matrix, false);
    args["gamma"] = view(p->gamma, self->param_dtype, vector, false);
    args["mean"] = view(p->mean, NORMCHECK_F32, stats, false);
    args["rstd"] = view(p->rstd, NORMCHECK_F32, stats, false);
    args["dx"] = view(p->dx, self->x_dtype, matrix, true);
    args["dgamma"] = view(p->dgamma, self->param_dtype, vector, true);
    args["dbeta"] = view(p->dbeta, self->param_dtype, vector, true);
  });
}

// The ABI declaration of either pass's trampoline (the structs differ only in run's type).
template <class Kernel, class Run>
void declare(Kernel& kernel, normcheck_op op, normcheck_dtype x, normcheck_dtype param, normcheck_dtype y,
             uint32_t flags, Run run_function) {
  kernel.abi = {};
  kernel.abi.name = kernel.name.c_str();
  kernel.abi.op = op;
  kernel.abi.x_dtype = x;
  kernel.abi.param_dtype = param;
  kernel.abi.y_dtype = y;
  kernel.abi.flags = flags;
  kernel.abi.run = run_function;
}

// The engine's view of either pass's trampoline: not thread-safe, declared compute.
template <class Info, class Kernel>
Info info_of(const Kernel& kernel, normcheck_dtype compute) {
  Info info;
  info.kernel = &kernel.abi;
  info.compute = compute;
  info.origin = impls::KernelOrigin::python;
  info.thread_safe = false;
  return info;
}

}  // namespace

void init_python_kernel(PythonKernel& kernel, normcheck_op op, normcheck_dtype x, normcheck_dtype param,
                        normcheck_dtype y, uint32_t flags) {
  declare(kernel, op, x, param, y, flags, run);
}

void init_python_backward_kernel(PythonBackwardKernel& kernel, normcheck_op op, normcheck_dtype x,
                                 normcheck_dtype param, normcheck_dtype dy) {
  declare(kernel, op, x, param, dy, 0, run_backward);
}

impls::KernelInfo kernel_info(const PythonKernel& kernel, normcheck_dtype compute) {
  return info_of<impls::KernelInfo>(kernel, compute);
}

impls::BackwardKernelInfo backward_kernel_info(const PythonBackwardKernel& kernel, normcheck_dtype compute) {
  return info_of<impls::BackwardKernelInfo>(kernel, compute);
}

}  // namespace normcheck::python
