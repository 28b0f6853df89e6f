"""Forward checks of torch and NumPy kernels through the package: known-bad
implementations are caught with a small case, careful ones pass, findings replay."""

import json

import numpy as np
import pytest
import torch

import normcheck

CASES = 150


def two_pass_in_f64(x, gamma, beta, eps):
    # Careful: statistics in float64 (two passes), one rounding to the output dtype.
    z = x.double()
    mean = z.mean(-1, keepdim=True)
    var = ((z - mean) ** 2).mean(-1, keepdim=True)
    y = (z - mean) / torch.sqrt(var + eps)
    if gamma is not None:
        y = y * gamma.double()
    if beta is not None:
        y = y + beta.double()
    return y.to(x.dtype)


def one_pass_variance(x, gamma, beta, eps):
    mean = x.mean(-1, keepdim=True)
    var = (x * x).mean(-1, keepdim=True) - mean * mean
    return (x - mean) / torch.sqrt(var + eps) * (1 if gamma is None else gamma) + (0 if beta is None else beta)


def eps_outside_sqrt(x, gamma, beta, eps):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / (torch.sqrt(var) + eps) * (1 if gamma is None else gamma) + (0 if beta is None else beta)


def unbiased_variance(x, gamma, beta, eps):
    mean = x.mean(-1, keepdim=True)
    var = x.var(-1, keepdim=True)  # torch.var's default is the unbiased (n - 1) estimate
    return (x - mean) / torch.sqrt(var + eps) * (1 if gamma is None else gamma) + (0 if beta is None else beta)


def rmsnorm_in_f32(x, gamma, beta, eps):
    # Hugging Face's LlamaRMSNorm, computed in float32.
    z = x.float()
    y = z * torch.rsqrt(z.pow(2).mean(-1, keepdim=True) + eps)
    y = y if gamma is None else y * gamma.float()
    return (y if beta is None else y + beta.float()).to(x.dtype)


# f32 only: in f64 the same code has no wider type and overflows near 2^512 (a real finding).
@pytest.mark.parametrize("x_dtype", ["f32"])
def test_a_careful_kernel_passes(x_dtype):
    result = normcheck.check(two_pass_in_f64, x_dtype=x_dtype, cases=CASES)
    assert result.ok, result
    assert result.cases > 0 and result.outputs > 0


@pytest.mark.parametrize("bad", [one_pass_variance, eps_outside_sqrt, unbiased_variance])
def test_a_known_bad_kernel_is_caught_and_its_finding_replays(bad):
    result = normcheck.check(bad, x_dtype="f32", cases=CASES)
    assert not result.ok
    for finding in result.findings:
        assert finding.minimized_rows * finding.minimized_n <= 64, finding
        replayed = normcheck.replay(finding.case_file, bad)
        assert replayed.verdict == "fail", (finding, replayed)
        assert finding.message.split(" (")[0] in replayed.detail, (finding, replayed)


def test_variance_in_the_input_dtype_is_caught_in_f16():
    def in_f16(x, gamma, beta, eps):
        mean = x.mean(-1, keepdim=True)
        var = ((x - mean) ** 2).mean(-1, keepdim=True)
        return ((x - mean) / torch.sqrt(var + eps)).to(torch.float16)

    result = normcheck.check(in_f16, x_dtype="f16", param_dtype="f32", y_dtype="f16", cases=CASES)
    assert not result.ok


def test_an_rmsnorm_in_f32_fails_only_where_x_squared_leaves_f32s_range():
    # bf16 has f32's range: z.pow(2) in f32 overflows above 2^64 and underflows below
    # 2^-75 (then eps = 0 gives rsqrt(0) = inf). Real findings of the formula; the ordinary
    # range passes.
    result = normcheck.check(rmsnorm_in_f32, op="rmsnorm", x_dtype="bf16", cases=CASES)
    assert result.cases > 0
    for finding in result.findings:
        xs = [abs(float.fromhex(v)) for v in json.loads(finding.case_json)["x"]]
        assert max(xs) > 2.0**63 or max(xs) < 2.0**-60, finding


def test_an_nn_module_is_checked_with_the_cases_parameters():
    class CarefulLayerNorm(torch.nn.Module):
        def __init__(self, n):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.ones(n))
            self.bias = torch.nn.Parameter(torch.zeros(n))
            self.eps = 1e-5

        def forward(self, x):
            return two_pass_in_f64(x, self.weight, self.bias, self.eps)

    assert normcheck.check(CarefulLayerNorm(8), cases=CASES).ok


def test_a_numpy_kernel_is_judged_like_a_torch_one():
    def numpy_two_pass(x, gamma, beta, eps):
        z = x.astype(np.float64)
        mean = z.mean(-1, keepdims=True)
        y = (z - mean) / np.sqrt(((z - mean) ** 2).mean(-1, keepdims=True) + eps)
        y = y * (1 if gamma is None else gamma) + (0 if beta is None else beta)
        return y.astype(x.dtype)

    assert normcheck.check(numpy_two_pass, numpy=True, cases=CASES).ok
    with pytest.raises(ValueError):
        normcheck.check(numpy_two_pass, x_dtype="bf16", numpy=True, cases=1)


def test_an_exception_is_a_finding_with_its_text_not_a_crash():
    def raises(x, gamma, beta, eps):
        raise RuntimeError("kernel exploded")

    result = normcheck.check(raises, cases=5)
    assert not result.ok
    assert result.findings[0].klass == "status"
    assert "kernel exploded" in str(result)


def test_assert_within_budget_names_the_case_and_the_replay_line():
    with pytest.raises(AssertionError) as failure:
        normcheck.assert_within_budget(one_pass_variance, cases=CASES)
    message = str(failure.value)
    assert "normcheck.replay(\"" in message and "FINDING" in message


def test_the_oracle_of_a_saved_case():
    finding = normcheck.check(eps_outside_sqrt, cases=CASES).findings[0]
    out = normcheck.oracle(finding.case_file)
    assert out["y"].shape == (finding.minimized_rows, finding.minimized_n)
    assert out["rstd"].shape == (finding.minimized_rows,)
