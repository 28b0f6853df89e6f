"""Every measure of the Python path agrees with the CLI's on the same cases. The kernel is the
example plugin's C LayerNorm called through ctypes on the NumPy buffers the package hands a
kernel, and named as the plugin's kernel, so the package and `normcheck --plugin LIB` judge
bit-identical outputs on the same case stream: check's figures and the report's, sweep point
by sweep point, must be equal, not close."""

import ctypes
import json
import os
import subprocess

import numpy as np
import pytest

import normcheck
from cli_run import CLI

PLUGIN = os.environ.get("NORMCHECK_EXAMPLE_PLUGIN")
NAME = "example.layernorm.f32"

pytestmark = pytest.mark.skipif(not (CLI and PLUGIN), reason="ctest sets NORMCHECK_CLI and NORMCHECK_EXAMPLE_PLUGIN")


class Problem(ctypes.Structure):  # normcheck_problem (impls/include/normcheck/kernel_abi.h)
    _fields_ = [("rows", ctypes.c_int64), ("n", ctypes.c_int64), ("eps", ctypes.c_double),
                ("x", ctypes.c_void_p), ("residual", ctypes.c_void_p), ("gamma", ctypes.c_void_p),
                ("beta", ctypes.c_void_p), ("y", ctypes.c_void_p), ("residual_out", ctypes.c_void_p),
                ("mean", ctypes.c_void_p), ("rstd", ctypes.c_void_p)]


class Kernel(ctypes.Structure):  # normcheck_kernel
    _fields_ = [("name", ctypes.c_char_p), ("op", ctypes.c_int), ("x_dtype", ctypes.c_int),
                ("param_dtype", ctypes.c_int), ("y_dtype", ctypes.c_int), ("flags", ctypes.c_uint32),
                ("context", ctypes.c_void_p), ("run", ctypes.c_void_p)]


def plugin_kernel():
    """fn(x, gamma, beta, eps) on NumPy arrays that runs the plugin's kernel."""
    library = ctypes.CDLL(PLUGIN)
    library.normcheck_plugin_kernels.restype = ctypes.POINTER(Kernel)
    count = ctypes.c_size_t()
    table = library.normcheck_plugin_kernels(ctypes.byref(count))
    entry = next(table[i] for i in range(count.value) if table[i].name.decode() == NAME)
    run = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(Kernel), ctypes.POINTER(Problem))(entry.run)

    def address(array):
        return None if array is None else array.ctypes.data

    def fn(x, gamma, beta, eps):
        x = np.ascontiguousarray(x, dtype=np.float32)
        y = np.empty_like(x)
        problem = Problem(x.shape[0], x.shape[1], eps, address(x), None, address(gamma), address(beta), address(y),
                          None, None, None)
        if run(ctypes.byref(entry), ctypes.byref(problem)) != 0:
            raise RuntimeError("the plugin kernel did not answer OK")
        return y

    return fn


MEASURES = ("cases", "skipped", "outputs", "max_ulp_error", "max_score", "max_ulp_distance", "special_mismatches",
            "verdict")


def test_check_gives_the_clis_figures(tmp_path):
    out = tmp_path / "cli.json"
    subprocess.run([CLI, "check", "--plugin", PLUGIN, "--kernel", NAME, "--cases", "300", "--seed", "5", "--json",
                    str(out)], check=False, stdout=subprocess.DEVNULL)
    cli = json.loads(out.read_text())["kernels"][0]
    mine = normcheck.check(plugin_kernel(), x_dtype="f32", numpy=True, cases=300, seed=5, name=NAME)
    assert {m: getattr(mine, m) for m in MEASURES} == {m: cli[m] for m in MEASURES}
    assert mine.outputs > 0


def sweep_figures(report):
    """Every number of the kernel's report entry but its timings, keyed by where it is."""
    [kernel] = report["kernels"]
    figures = {}

    def walk(value, where):
        if isinstance(value, dict):
            for key, item in value.items():
                if key not in ("seconds", "origin", "replay"):
                    walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{where}[{i}]")
        else:
            figures[where] = value

    walk(kernel, NAME)
    return figures


def test_the_report_gives_the_clis_figures_point_by_point(tmp_path):
    cli_out, mine_out = tmp_path / "cli", tmp_path / "mine"
    subprocess.run([CLI, "report", "--plugin", PLUGIN, "--kernel", NAME, "--quick", "--out", str(cli_out)], check=False,
                   stdout=subprocess.DEVNULL)
    result = normcheck.report({NAME: normcheck.KernelSpec(plugin_kernel(), x_dtype="f32", numpy=True)}, mine_out,
                              quick=True)
    cli = sweep_figures(json.loads((cli_out / "report.json").read_text()))
    mine = sweep_figures(result.json)
    assert len(cli) > 100 and mine == cli
