"""The package and the CLI run the same engine. The case stream is keyed by the seed and
the kernel's name, so a Python kernel declared as the built-in layernorm.f32.two_pass is
(stats included) checks exactly the CLI's cases: the same cases and outputs, both pass."""

import pytest

import normcheck
import torch

from cli_run import CLI, cli_kernel_summary
from test_forward import two_pass_in_f64


def two_pass_with_stats(x, gamma, beta, eps):
    z = x.double()
    mean = z.mean(-1)
    rstd = 1 / torch.sqrt(((z - mean[:, None]) ** 2).mean(-1) + eps)
    return two_pass_in_f64(x, gamma, beta, eps), mean.float(), rstd.float()


@pytest.mark.skipif(not CLI, reason="NORMCHECK_CLI (the normcheck executable) not set; ctest sets it")
def test_the_same_seed_checks_the_same_cases_as_the_cli(tmp_path):
    cli = cli_kernel_summary(tmp_path, "layernorm.f32.two_pass", 150, 3)
    mine = normcheck.check(two_pass_with_stats, x_dtype="f32", cases=150, seed=3, writes_stats=True,
                           name="layernorm.f32.two_pass")
    assert (mine.cases, mine.outputs) == (cli["cases"], cli["outputs"])
    assert mine.ok and cli["verdict"] == "pass"
