"""isolate=True forks a worker as the CLI does: a kernel that kills its process is a
crash finding, and the worker runs torch on one thread (docs/python.md)."""

import os

import torch
import torch.nn.functional as F

import normcheck


def test_a_crashing_kernel_is_a_crash_finding_when_isolated():
    def aborts_on_long_rows(x, gamma, beta, eps):
        if x.shape[-1] > 3:
            os.abort()
        return F.layer_norm(x, (x.shape[-1],), gamma, beta, eps)

    result = normcheck.check(aborts_on_long_rows, cases=20, isolate=True, max_findings=1)
    assert [f.klass for f in result.findings] == ["crash"], result


def test_a_forked_worker_runs_torch_on_one_thread():
    parent = os.getpid()

    def single_threaded_in_the_worker(x, gamma, beta, eps):
        if os.getpid() != parent and torch.get_num_threads() != 1:
            raise RuntimeError(f"{torch.get_num_threads()} torch threads in the worker")
        return NotImplemented

    result = normcheck.check(single_threaded_in_the_worker, cases=5, isolate=True)
    assert result.findings == [] and result.skipped == 5, result
