"""normcheck for PyTorch and NumPy kernels: the engine of `normcheck check` and
`normcheck replay` (same case stream for a seed, same budgets, oracle, shrinker and
verdicts) on a Python callable or a torch.nn.Module. See docs/python.md.
"""

import os
import re
import tempfile

from . import _dtypes
from ._adapters import NumpyAdapter, TorchAdapter, TorchBackwardAdapter
from ._module_kernel import module_backward_kernel, module_kernel
from ._spec import KernelSpec
from ._normcheck import FUSED_RESIDUAL, WRITES_STATS
from . import _normcheck

__all__ = ["KernelSpec", "check", "assert_within_budget", "replay", "oracle", "report", "list_kernels", "CheckResult",
           "Finding", "ReplayResult", "ReportResult"]

DEFAULT_CASES = 1000  # the CLI's default cases per kernel


class Finding:
    """One distinct defect: the minimized case (file and JSON) and its replay line."""

    def __init__(self, d):
        self.__dict__.update(d)  # replay: normcheck.replay("<case>", fn), or the CLI command (replay_spec)
        if not self.case_file:
            self.replay = ""

    def __repr__(self):
        return f"Finding({self.signature!r}: {self.message})"


class CheckResult:
    """What check() found; str() is the engine's summary table and findings."""

    def __init__(self, d):
        self.__dict__.update({k: v for k, v in d.items() if k != "findings"})
        self.findings = [Finding(f) for f in d["findings"]]

    @property
    def ok(self):
        return self.verdict == "pass"

    def __bool__(self):
        return self.ok

    def __str__(self):
        text = self.summary + self.findings_text
        if self.exceptions:
            text += "exceptions the kernel raised:\n" + "".join(f"  {e}\n" for e in self.exceptions)
        return text

    __repr__ = __str__


class ReplayResult:
    """A replayed case: the verdict now ("pass", "fail" or "skipped") and its detail."""

    def __init__(self, d):
        self.__dict__.update(d)

    @property
    def failed(self):
        return self.verdict == "fail"

    def __repr__(self):
        return f"ReplayResult({self.verdict}: {self.detail})"


def _kernel_name(fn):
    base = getattr(fn, "__name__", None) or type(fn).__name__
    return "python." + (re.sub(r"[^a-z0-9_.-]+", "-", base.lower()).strip("-") or "kernel")


def _is_module(fn):
    try:
        import torch
    except ImportError:
        return False
    return isinstance(fn, torch.nn.Module)


def _declaration(op, x_dtype, param_dtype, y_dtype):
    """The dtypes with their defaults (x_dtype's), and the ABI codes of op and dtypes."""
    param_dtype = param_dtype or x_dtype
    y_dtype = y_dtype or x_dtype
    codes = (_dtypes.op_code(op), _dtypes.dtype_code(x_dtype, "x_dtype"), _dtypes.dtype_code(param_dtype, "param_dtype"),
             _dtypes.dtype_code(y_dtype, "y_dtype"))
    return param_dtype, y_dtype, codes


def _prepare(fn, op, x_dtype, param_dtype, y_dtype, compute, writes_stats, fused, numpy, device, name):
    """The adapter and the ABI declaration (codes) of a Python kernel."""
    param_dtype, y_dtype, codes = _declaration(op, x_dtype, param_dtype, y_dtype)
    compute = compute or "f32"
    flags = (WRITES_STATS if writes_stats else 0) | (FUSED_RESIDUAL if fused else 0)
    name = name or _kernel_name(fn)
    if _is_module(fn):
        fn = module_kernel(fn)
    if numpy:
        if "bf16" in (x_dtype, param_dtype, y_dtype):
            raise ValueError("NumPy has no bfloat16: a bf16 kernel takes torch tensors (numpy=False)")
        adapter = NumpyAdapter(fn, x_dtype, param_dtype, y_dtype, writes_stats, fused)
    else:
        adapter = TorchAdapter(fn, x_dtype, param_dtype, y_dtype, writes_stats, fused, device)
    return adapter, name, codes, flags, _dtypes.dtype_code(compute, "compute")


def _prepare_backward(fn, op, x_dtype, param_dtype, y_dtype, compute, writes_stats, fused, numpy, device, name):
    """The autograd adapter and the ABI declaration of a Python kernel's backward pass."""
    if numpy:
        raise ValueError("backward=True differentiates with torch autograd: a NumPy kernel has no backward pass")
    if fused or writes_stats:
        raise ValueError("backward=True takes a plain fn(x, gamma, beta, eps) -> y (not fused, no stats): "
                         "the backward pass is judged on x, gamma and dy")
    param_dtype, y_dtype, codes = _declaration(op, x_dtype, param_dtype, y_dtype)
    name = name or _kernel_name(fn)
    if _is_module(fn):
        fn = module_backward_kernel(fn)
    adapter = TorchBackwardAdapter(fn, x_dtype, param_dtype, y_dtype, device)
    return adapter, name, codes, _dtypes.dtype_code(compute or "f32", "compute")


def check(fn, op="layernorm", x_dtype="f32", param_dtype=None, y_dtype=None, *, seed=1, cases=DEFAULT_CASES,
          compute=None, writes_stats=False, fused=False, numpy=False, device="cpu", isolate=False, shrink=True,
          max_findings=8, save_failures=None, case_timeout_ms=10000, name=None, backward=False, replay_spec=None):
    """Checks fn (or a LayerNorm-like torch.nn.Module) as `normcheck check` checks a kernel.

    param_dtype and y_dtype default to x_dtype; compute is the declared compute precision
    (default f32, as in the ABI). numpy=True passes NumPy arrays instead of torch tensors.
    isolate=False (the default) runs the kernel in this process, exceptions caught;
    isolate=True forks a worker as the CLI does, so a crash is a finding (docs/python.md).
    Minimized cases go to save_failures (default: a fresh temporary directory).
    backward=True checks the backward pass instead: fn runs forward under torch autograd on
    the backward case stream of `normcheck check`, the case's dy is back-propagated, and
    dx, dgamma and dbeta are judged against the exact gradients (docs/python.md).
    replay_spec ("FILE.py:NAME", where fn is defined) makes each finding's replay line the
    command `normcheck replay CASE --python FILE.py:NAME` instead of normcheck.replay(...).
    """
    failures = str(save_failures) if save_failures else tempfile.mkdtemp(prefix="normcheck-")
    if backward:
        adapter, name, codes, compute_code = _prepare_backward(fn, op, x_dtype, param_dtype, y_dtype, compute,
                                                               writes_stats, fused, numpy, device, name)
        d = _normcheck.check_backward(adapter, name, *codes, compute_code, seed, cases, isolate, shrink, max_findings,
                                      failures, case_timeout_ms, replay_spec or "")
    else:
        adapter, name, codes, flags, compute_code = _prepare(fn, op, x_dtype, param_dtype, y_dtype, compute,
                                                            writes_stats, fused, numpy, device, name)
        d = _normcheck.check(adapter, name, *codes, flags, compute_code, seed, cases, isolate, shrink, max_findings,
                             failures, case_timeout_ms, replay_spec or "")
    if not d["findings"] and not save_failures:
        try:
            os.rmdir(failures)  # nothing was saved there
        except OSError:
            pass
    return CheckResult(d)


def assert_within_budget(fn, op="layernorm", x_dtype="f32", param_dtype=None, y_dtype=None, **options):
    """check() as a pytest assertion: raises AssertionError with the summary, each
    minimized case and its replay line when the kernel is not within its budget."""
    result = check(fn, op, x_dtype, param_dtype, y_dtype, **options)
    if not result.ok:
        raise AssertionError(f"normcheck: {result.kernel} is not within budget\n{result}")
    return result


def replay(path, fn, op=None, x_dtype=None, param_dtype=None, y_dtype=None, *, compute=None, writes_stats=False,
           fused=False, numpy=False, device="cpu", isolate=False, name=None):
    """Replays a case file on fn as `normcheck replay` does. The op and dtypes default to the
    case's own. A backward case file ("direction": "backward") replays fn's autograd backward
    pass. Returns a ReplayResult (verdict "pass", "fail" or "skipped")."""
    import json

    with open(path) as f:
        c = json.load(f)
    op = op or c["op"]
    x_dtype = x_dtype or c["x_dtype"]
    param_dtype = param_dtype or c.get("param_dtype", x_dtype)
    y_dtype = y_dtype or c.get("y_dtype", x_dtype)
    if c.get("direction") == "backward":
        adapter, name, codes, compute_code = _prepare_backward(fn, op, x_dtype, param_dtype, y_dtype, compute,
                                                               writes_stats, fused, numpy, device, name)
        return ReplayResult(_normcheck.replay_backward(str(path), adapter, name, *codes, compute_code, isolate)[0])
    adapter, name, codes, flags, compute_code = _prepare(fn, op, x_dtype, param_dtype, y_dtype, compute, writes_stats,
                                                        fused, numpy, device, name)
    results = _normcheck.replay(str(path), adapter, name, *codes, flags, compute_code, isolate)
    return ReplayResult(results[0])


def oracle(case):
    """The oracle's outputs for a case file (docs/oracle.md) as float64 NumPy arrays:
    y (correctly rounded to the case's y dtype), y_exact, mean, rstd (and residual_out)."""
    return _normcheck.oracle(str(case))


class ReportResult:
    """What report() wrote: ok (no kernel with findings or without a checked case), the
    CLI's exit code and summary line, the directory, and its report.json as a dict."""

    def __init__(self, d, out):
        self.__dict__.update(d)
        self.out = str(out)
        self.json = None
        if not self.write_error:
            import json

            with open(os.path.join(self.out, "report.json")) as f:
                self.json = json.load(f)

    @property
    def ok(self):
        return self.exit_code == 0

    def __bool__(self):
        return self.ok

    def __str__(self):
        text = self.summary + "\n"
        if self.write_error:
            text += f"not written: {self.write_error}\n"
        if self.exceptions:
            text += "exceptions the kernels raised:\n" + "".join(f"  {e}\n" for e in self.exceptions)
        return text

    __repr__ = __str__


def _report_entry(name, spec):
    """A report() kernel: (backward, entry), the entry (adapter, name, op, x, param, y, flags,
    compute, spec reference) of a forward kernel or (adapter, name, op, x, param, dy, compute,
    spec reference) of a backward one."""
    if not isinstance(spec, KernelSpec):
        spec = KernelSpec(spec)
    keywords = {k: v for k, v in spec.keywords.items() if k != "name"}
    backward = keywords.pop("backward", False)
    options = {"op": "layernorm", "x_dtype": "f32", "param_dtype": None, "y_dtype": None, "compute": None,
               "writes_stats": False, "fused": False, "numpy": False, "device": "cpu"}
    options.update(keywords)
    reference = getattr(spec, "reference", "")
    if backward:
        adapter, name, codes, compute_code = _prepare_backward(spec.fn, name=name, **options)
        return True, (adapter, name, *codes, compute_code, reference)
    adapter, name, codes, flags, compute_code = _prepare(spec.fn, name=name, **options)
    return False, (adapter, name, *codes, flags, compute_code, reference)


def _report_entries(kernels):
    """report()'s kernels as the engine takes them: the forward entries and the backward ones."""
    if not isinstance(kernels, dict):
        raise TypeError(f"report(): kernels is a {type(kernels).__name__}; expected a dict {{name: spec}}")
    entries = [_report_entry(name, spec) for name, spec in kernels.items()]
    return [e for backward, e in entries if not backward], [e for backward, e in entries if backward]


def list_kernels(kernels=None, plugins=()):
    """`normcheck list`'s lines: every kernel (built-in, from plugins), then the Python kernels
    {name: spec}, forward kernels before backward ones."""
    forward, backward = _report_entries(kernels or {})
    return _normcheck.list_kernels(forward, backward, list(plugins))


def report(kernels, out, *, builtins=(), plugins=(), seed=1, quick=False, threads=0, budgets=None, isolate=True,
           case_timeout_ms=10000, progress=False, command=None):
    """Writes `normcheck report`'s accuracy report (index.html, report.md, report.json and the
    worst cases under out/cases/) for the Python kernels {name: spec}, each a KernelSpec or a
    callable / nn.Module (a LayerNorm on f32; a spec with backward=True is judged in the
    report's backward section), beside the built-in, oneDNN and plugin kernels
    named in builtins ("all": every one that is not a mutant). out is replaced whole and
    must be new, empty or a previous report. The Python kernels run in this process, one
    call at a time (the other kernels in isolated workers unless isolate=False, on `threads`
    threads, 0 = all); budgets is a budgets file as `normcheck report --budgets` takes.
    Returns a ReportResult; ok is False when a kernel has findings (the report is written
    all the same)."""
    forward, backward = _report_entries(kernels)
    chosen = None if builtins == "all" else list(builtins)
    if command is None:
        command = f"normcheck.report({{{', '.join(repr(k) for k in kernels)}}}, out={str(out)!r})"
    d = _normcheck.report(forward, backward, chosen, list(plugins), str(out), seed, quick, threads, command, progress,
                          str(budgets) if budgets else "", isolate, case_timeout_ms)
    return ReportResult(d, out)
