"""Kernel specs for the command line: `normcheck check --python FILE.py:NAME`.

NAME in FILE.py is a KernelSpec, or a bare callable / nn.Module (a LayerNorm on f32, the
defaults of check()). A spec holds the kernel and the keywords check() takes for it.
"""

import importlib.util
import pathlib

# check()'s keywords that describe the kernel (the run's options come from the command line).
KERNEL_KEYWORDS = ("op", "x_dtype", "param_dtype", "y_dtype", "compute", "writes_stats", "fused", "numpy", "device",
                   "backward", "name")


class SpecError(Exception):
    """A spec that cannot be loaded: the message names the file and what is wrong."""


class KernelSpec:
    """A Python kernel and how check() should call it, e.g.
    KernelSpec(my_kernel, op="rmsnorm", x_dtype="bf16", backward=True)."""

    def __init__(self, fn, **keywords):
        unknown = sorted(set(keywords) - set(KERNEL_KEYWORDS))
        if unknown:
            raise TypeError(f"KernelSpec: unknown keyword(s) {', '.join(unknown)} (known: {', '.join(KERNEL_KEYWORDS)})")
        if not callable(fn):
            raise TypeError(f"KernelSpec: the kernel is a {type(fn).__name__}, not a callable")
        self.fn = fn
        self.keywords = keywords

    def __repr__(self):
        return f"KernelSpec({getattr(self.fn, '__name__', type(self.fn).__name__)}, {self.keywords})"


def load_spec(reference):
    """FILE.py:NAME -> (KernelSpec, kernel name). The kernel's name defaults to python.NAME."""
    path, sep, name = reference.rpartition(":")
    if not sep or not path or not name:
        raise SpecError(f"--python {reference}: expected FILE.py:NAME")
    file = pathlib.Path(path)
    if not file.is_file():
        raise SpecError(f"--python {reference}: {path}: no such file")
    module_spec = importlib.util.spec_from_file_location(f"normcheck_spec_{file.stem}", file)
    if module_spec is None or module_spec.loader is None:
        raise SpecError(f"--python {reference}: {path}: not a Python file")
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except Exception as error:  # the user's file: any error it raises is the file's
        raise SpecError(f"--python {reference}: {path}: importing it raised {type(error).__name__}: {error}") from None
    if not hasattr(module, name):
        raise SpecError(f"--python {reference}: {path} defines no {name}")
    value = getattr(module, name)
    if not isinstance(value, KernelSpec):
        if not callable(value):
            raise SpecError(f"--python {reference}: {name} is a {type(value).__name__}, not a KernelSpec or a callable")
        value = KernelSpec(value)
    value.reference = reference  # how a printed replay command loads it again
    kernel_name = value.keywords.get("name") or "python." + name.lower().replace("_", "-")
    return value, kernel_name
