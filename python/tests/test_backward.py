"""Backward checks through autograd (check(..., backward=True)): torch's own layer_norm is
judged, a careful custom autograd Function passes, a known-bad backward is caught with a
small case whose replay fails again, and the case stream is the CLI's."""

import json
import math

import pytest
import torch
import torch.nn.functional as F

import normcheck
from cli_run import CLI, cli_kernel_summary

CASES = 150


def _gradients_in_f64(x, gamma, dy, eps, drop_mean_of_g=False):
    """dx, dgamma, dbeta of LayerNorm, two-pass statistics, all in float64."""
    z, g = x.double(), dy.double() * gamma.double()
    mean = z.mean(-1, keepdim=True)
    rstd = 1 / torch.sqrt(((z - mean) ** 2).mean(-1, keepdim=True) + eps)
    xhat = (z - mean) * rstd
    mean_g = 0 if drop_mean_of_g else g.mean(-1, keepdim=True)
    dx = rstd * (g - mean_g - xhat * (g * xhat).mean(-1, keepdim=True))
    return dx, (dy.double() * xhat).sum(0), dy.double().sum(0)


def autograd_layer_norm(drop_mean_of_g=False):
    """A LayerNorm as a custom torch.autograd.Function, as a Triton or CUDA kernel's
    backward would be wrapped: forward and backward in float64, each rounded once."""

    class LayerNorm(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, gamma, beta, eps):
            ctx.save_for_backward(x, gamma)
            ctx.eps = eps
            z = x.double()
            mean = z.mean(-1, keepdim=True)
            y = (z - mean) / torch.sqrt(((z - mean) ** 2).mean(-1, keepdim=True) + eps) * gamma.double()
            return (y + beta.double()).to(x.dtype)

        @staticmethod
        def backward(ctx, dy):
            x, gamma = ctx.saved_tensors
            dx, dgamma, dbeta = _gradients_in_f64(x, gamma, dy, ctx.eps, drop_mean_of_g)
            return dx.to(x.dtype), dgamma.to(gamma.dtype), dbeta.to(gamma.dtype), None

    def fn(x, gamma, beta, eps):
        return LayerNorm.apply(x, gamma, beta, eps)

    fn.__name__ = "mean_g_dropped" if drop_mean_of_g else "careful_layer_norm"
    return fn


def torch_layer_norm(x, gamma, beta, eps):
    return F.layer_norm(x, (x.shape[-1],), gamma, beta, eps)


def exponent_range(case):
    """The smallest and largest binary exponents of the case's nonzero finite inputs."""
    values = [float.fromhex(v) for key in ("x", "gamma", "dy") for v in (case[key] or [])]
    exponents = [math.frexp(v)[1] for v in values if v != 0 and math.isfinite(v)]
    return min(exponents), max(exponents)


@pytest.mark.parametrize("dtype", ["f16", "bf16", "f32"])
def test_a_careful_autograd_function_passes(dtype):
    # (In f64, float64 arithmetic is not careful: near 2^1024 its intermediates overflow, as
    # torch's own do, and the judge says so: the built-in f64 kernel computes in long double.)
    result = normcheck.check(autograd_layer_norm(), x_dtype=dtype, backward=True, cases=CASES)
    assert result.ok, result
    assert result.outputs > 100_000


def test_a_backward_that_drops_the_mean_of_g_is_caught_and_replays(tmp_path):
    bad = autograd_layer_norm(drop_mean_of_g=True)
    result = normcheck.check(bad, x_dtype="f32", backward=True, cases=CASES, save_failures=tmp_path)
    assert not result.ok
    smallest = min(result.findings, key=lambda f: f.minimized_rows * f.minimized_n)
    assert smallest.minimized_rows * smallest.minimized_n <= 4, smallest
    for finding in result.findings:
        assert json.loads(finding.case_json)["direction"] == "backward"
        assert normcheck.replay(finding.case_file, bad).failed


def test_torch_layer_norm_backward_is_judged():
    # torch 1.13's CPU layer_norm backward: within its score limits everywhere (no score
    # finding), but an intermediate overflows or underflows near the ends of the range (a NaN
    # where the exact gradient is finite, e.g. x = [-2^104, 0] in f32, whose x^2 overflows).
    for dtype in ("f32", "f64"):
        result = normcheck.check(torch_layer_norm, x_dtype=dtype, backward=True, cases=CASES, max_findings=20)
        assert result.outputs > 100_000
        for finding in result.findings:
            case = json.loads(finding.case_json)
            assert finding.klass in ("special", "score"), finding
            if finding.klass == "special":
                # Only cases with a value near the ends of the format's range.
                limit = 60 if dtype == "f32" else 500
                smallest, largest = exponent_range(case)
                assert largest > limit or smallest < -limit, finding
            assert normcheck.replay(finding.case_file, torch_layer_norm).failed


def test_an_nn_module_backward_is_judged():
    module = torch.nn.LayerNorm(8)
    result = normcheck.check(module, x_dtype="f64", backward=True, cases=40)
    assert result.outputs > 0
    assert result.max_score < 1, result


def test_numpy_has_no_backward():
    with pytest.raises(ValueError, match="autograd"):
        normcheck.check(lambda x, g, b, eps: x, numpy=True, backward=True)


@pytest.mark.skipif(not CLI, reason="NORMCHECK_CLI (the normcheck executable) not set; ctest sets it")
def test_the_backward_stream_is_the_clis(tmp_path):
    cli = cli_kernel_summary(tmp_path, "layernorm_backward.f32", 100, 2)
    mine = normcheck.check(autograd_layer_norm(), x_dtype="f32", backward=True, cases=100, seed=2,
                           name="layernorm_backward.f32")
    assert (mine.cases, mine.outputs) == (cli["cases"], cli["outputs"])
    assert mine.ok and cli["verdict"] == "pass"
