"""Adapters between the engine's ABI buffers and a user's kernel.

The C++ trampoline hands an adapter a dict of NumPy views over the problem's buffers
(inputs read-only; bf16 as uint16 bits). The adapter builds the user's arguments (torch
tensors on a device, or NumPy arrays), calls the kernel, checks what it returned and writes
it into the output views. A raised exception becomes a status finding of the case.
"""

import os

import numpy as np

from . import _dtypes

OK, UNSUPPORTED = 0, 1


def _check_shape(value, shape, what):
    if tuple(value.shape) != tuple(shape):
        raise ValueError(f"the kernel returned {what} of shape {tuple(value.shape)}, expected {tuple(shape)}")


class TorchAdapter:
    """Calls fn on torch tensors of the declared dtypes on `device`."""

    def __init__(self, fn, x_dtype, param_dtype, y_dtype, writes_stats, fused, device):
        import torch

        self.torch = torch
        self.fn, self.writes_stats, self.fused = fn, writes_stats, fused
        self.x_type = _dtypes.torch_type(x_dtype)
        self.param_type = _dtypes.torch_type(param_dtype)
        self.y_type = _dtypes.torch_type(y_dtype)
        self.device = torch.device(device)
        self.parent_pid = os.getpid()

    def _single_thread_in_a_fork(self):
        # In a forked worker (isolate=True) torch's intra-op pool and OpenMP threads of the
        # parent do not exist: a parallel op could wait on them forever. One thread is safe.
        if os.getpid() != self.parent_pid and self.torch.get_num_threads() != 1:
            self.torch.set_num_threads(1)

    def _tensor(self, array, torch_type):
        if array is None:
            return None
        if torch_type == self.torch.bfloat16:
            bits = self.torch.from_numpy(array.view(np.int16).copy())
            return bits.view(self.torch.bfloat16).to(self.device)
        return self.torch.from_numpy(array.copy()).to(self.device)

    def _store(self, value, out, torch_type, what):
        if not isinstance(value, self.torch.Tensor):
            raise TypeError(f"the kernel returned {what} as {type(value).__name__}, expected a torch.Tensor")
        if value.dtype != torch_type:
            raise TypeError(f"the kernel returned {what} as {value.dtype}, declared {torch_type}")
        _check_shape(value, out.shape, what)
        value = value.detach().to("cpu").contiguous()
        if torch_type == self.torch.bfloat16:
            out[...] = value.view(self.torch.int16).numpy().view(np.uint16)
        else:
            out[...] = value.numpy()

    def __call__(self, p):
        self._single_thread_in_a_fork()
        x = self._tensor(p["x"], self.x_type)
        gamma = self._tensor(p["gamma"], self.param_type)
        beta = self._tensor(p["beta"], self.param_type)
        with self.torch.no_grad():
            if self.fused:
                residual = self._tensor(p["residual"], self.x_type)
                result = self.fn(x, residual, gamma, beta, p["eps"])
            else:
                result = self.fn(x, gamma, beta, p["eps"])
        if result is NotImplemented:
            return UNSUPPORTED
        return self._write(result, p)

    def _write(self, result, p):
        if self.fused:
            y, residual_out = result
            self._store(y, p["y"], self.y_type, "y")
            if p["residual_out"] is not None:
                self._store(residual_out, p["residual_out"], self.x_type, "residual_out")
        elif self.writes_stats:
            y, mean, rstd = result
            self._store(y, p["y"], self.y_type, "y")
            for value, name in ((mean, "mean"), (rstd, "rstd")):
                if p[name] is not None:
                    self._store(value.reshape(-1).float() if value is not None else value, p[name],
                                self.torch.float32, name)
        else:
            self._store(result, p["y"], self.y_type, "y")
        return OK


class NumpyAdapter:
    """Calls fn on NumPy arrays of the declared dtypes (bf16 is refused up front)."""

    def __init__(self, fn, x_dtype, param_dtype, y_dtype, writes_stats, fused):
        self.fn, self.writes_stats, self.fused = fn, writes_stats, fused
        self.y_type = _dtypes.NUMPY_TYPES[y_dtype]
        self.x_type = _dtypes.NUMPY_TYPES[x_dtype]

    def _store(self, value, out, numpy_type, what):
        value = np.asarray(value)
        if value.dtype != numpy_type:
            raise TypeError(f"the kernel returned {what} as {value.dtype}, declared {np.dtype(numpy_type)}")
        _check_shape(value, out.shape, what)
        out[...] = value

    def __call__(self, p):
        copy = lambda a: None if a is None else a.copy()  # the kernel may not keep views of ABI buffers
        if self.fused:
            result = self.fn(copy(p["x"]), copy(p["residual"]), copy(p["gamma"]), copy(p["beta"]), p["eps"])
        else:
            result = self.fn(copy(p["x"]), copy(p["gamma"]), copy(p["beta"]), p["eps"])
        if result is NotImplemented:
            return UNSUPPORTED
        if self.fused:
            y, residual_out = result
            self._store(y, p["y"], self.y_type, "y")
            if p["residual_out"] is not None:
                self._store(residual_out, p["residual_out"], self.x_type, "residual_out")
        elif self.writes_stats:
            y, mean, rstd = result
            self._store(y, p["y"], self.y_type, "y")
            for value, name in ((mean, "mean"), (rstd, "rstd")):
                if p[name] is not None:
                    self._store(np.asarray(value, dtype=np.float32).reshape(-1), p[name], np.float32, name)
        else:
            self._store(result, p["y"], self.y_type, "y")
        return OK


class TorchBackwardAdapter(TorchAdapter):
    """Runs fn forward under autograd on the case's x and gamma and back-propagates the case's
    dy: torch.autograd.grad gives dx, dgamma and dbeta, written to the ABI's buffers.

    The saved mean and rstd the ABI hands a backward kernel are not used: autograd keeps
    what the forward computed. A problem without gamma (gamma = 1) passes a tensor of ones,
    so that dgamma exists; LayerNorm passes a beta of zeros, whose gradient is dbeta.
    """

    def __init__(self, fn, x_dtype, param_dtype, y_dtype, device):
        super().__init__(fn, x_dtype, param_dtype, y_dtype, False, False, device)

    def _parameter(self, array, n, fill):
        if array is not None:
            return self._tensor(array, self.param_type).requires_grad_()
        return self.torch.full((n,), fill, dtype=self.param_type, device=self.device, requires_grad=True)

    def __call__(self, p):
        torch = self.torch
        self._single_thread_in_a_fork()
        x = self._tensor(p["x"], self.x_type).requires_grad_()
        dy = self._tensor(p["dy"], self.y_type)
        gamma = self._parameter(p["gamma"], p["n"], 1.0)
        beta = self._parameter(None, p["n"], 0.0) if p["dbeta"] is not None else None
        with torch.enable_grad():
            y = self.fn(x, gamma, beta, p["eps"])
        if y is NotImplemented:
            return UNSUPPORTED
        if not isinstance(y, torch.Tensor):
            raise TypeError(f"the kernel returned y as {type(y).__name__}, expected a torch.Tensor")
        if y.dtype != self.y_type:
            raise TypeError(f"the kernel returned y as {y.dtype}, declared {self.y_type}")
        _check_shape(y, p["dx"].shape, "y")
        inputs = [x, gamma] + ([beta] if beta is not None else [])
        if not y.requires_grad:
            raise RuntimeError("the kernel's y has no autograd graph (computed under no_grad, or detached)")
        # allow_unused: a y that does not depend on gamma has dgamma 0, which the judge compares.
        grads = torch.autograd.grad(y, inputs, grad_outputs=dy, allow_unused=True)
        for grad, like, name, torch_type in zip(grads, inputs, ("dx", "dgamma", "dbeta"),
                                                (self.x_type, self.param_type, self.param_type)):
            self._store(torch.zeros_like(like) if grad is None else grad, p[name], torch_type, name)
        return OK
