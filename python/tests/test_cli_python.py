"""`normcheck check --python FILE.py:NAME` and `normcheck replay ... --python FILE.py:NAME`:
the CLI runs a Python kernel spec, its printed replay lines run verbatim and fail again, and
a bad spec is exit 2 with one line naming the file and what is wrong."""

import json
import re
import shlex
import subprocess
import textwrap

import pytest

from cli_run import CLI

SPEC = textwrap.dedent('''
    import torch
    import normcheck

    def one_pass(x, gamma, beta, eps):
        mean = x.mean(-1, keepdim=True)
        var = (x * x).mean(-1, keepdim=True) - mean * mean
        return (x - mean) / torch.sqrt(var + eps) * (1 if gamma is None else gamma) + (0 if beta is None else beta)

    def backward_in_f16(x, gamma, beta, eps):
        # The forward in float16 throughout: its autograd backward is float16 too.
        return torch.nn.functional.layer_norm(x.half(), (x.shape[-1],), gamma.half(), beta.half(), eps).float()

    one_pass_variance = normcheck.KernelSpec(one_pass, x_dtype="f32")
    half_backward = normcheck.KernelSpec(backward_in_f16, x_dtype="f32", backward=True)
    plain = one_pass
    not_a_kernel = 3
''')

pytestmark = pytest.mark.skipif(not CLI, reason="NORMCHECK_CLI (the normcheck executable) not set; ctest sets it")


def run(*args, cwd):
    return subprocess.run([CLI, *args], cwd=cwd, capture_output=True, text=True)


@pytest.mark.parametrize("name", ["one_pass_variance", "half_backward"])
def test_a_bad_kernel_is_found_and_its_replay_line_runs_verbatim(tmp_path, name):
    (tmp_path / "spec.py").write_text(SPEC)
    checked = run("check", "--python", f"spec.py:{name}", "--cases", "60", "--max-findings", "2", "--save-failures",
                  str(tmp_path), cwd=tmp_path)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    lines = re.findall(r"^replay: (.*)$", checked.stdout, re.M)
    assert lines and all(f"--python spec.py:{name}" in line for line in lines), checked.stdout
    for line in lines:
        replayed = subprocess.run(shlex.split(line), cwd=tmp_path, capture_output=True, text=True)
        assert replayed.returncode == 1 and ": fail: " in replayed.stdout, replayed.stdout + replayed.stderr


def test_a_bare_callable_is_a_spec(tmp_path):
    (tmp_path / "spec.py").write_text(SPEC)
    checked = run("check", "--python", "spec.py:plain", "--cases", "20", "--max-findings", "1", "--no-shrink",
                  "--save-failures", str(tmp_path), cwd=tmp_path)
    assert checked.returncode == 1 and "python.plain" in checked.stdout, checked.stdout + checked.stderr


@pytest.mark.parametrize("reference, message", [
    ("small.py:nothing", "small.py defines no nothing"),
    ("small.py:not_a_kernel", "not_a_kernel is a int, not a KernelSpec or a callable"),
    ("absent.py:plain", "absent.py: no such file"),
    ("small.py", "expected FILE.py:NAME"),
    ("broken.py:plain", "broken.py: importing it raised NameError"),
])
def test_a_bad_spec_is_exit_2_with_one_line(tmp_path, reference, message):
    (tmp_path / "small.py").write_text("not_a_kernel = 3\n")
    (tmp_path / "broken.py").write_text("undefined_name\n")
    checked = run("check", "--python", reference, cwd=tmp_path)
    assert checked.returncode == 2
    assert message in checked.stderr and len(checked.stderr.strip().splitlines()) == 1, checked.stderr


def test_json_and_junit_documents_are_the_clis(tmp_path):
    (tmp_path / "spec.py").write_text(SPEC)
    checked = run("check", "--python", "spec.py:one_pass_variance", "--cases", "40", "--max-findings", "1",
                  "--save-failures", str(tmp_path), "--json", "run.json", "--junit", "run.xml", cwd=tmp_path)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    document = json.loads((tmp_path / "run.json").read_text())
    [kernel] = document["kernels"]
    assert kernel["kernel"] == "python.one-pass-variance"
    assert kernel["findings"] and all("--python spec.py:one_pass_variance" in f["replay"] for f in kernel["findings"])
    assert "<testsuite" in (tmp_path / "run.xml").read_text()
    # `--json -`: standard output is the document alone; the summary goes to standard error.
    piped = run("check", "--python", "spec.py:one_pass_variance", "--cases", "40", "--max-findings", "1",
                "--no-shrink", "--save-failures", str(tmp_path), "--json", "-", cwd=tmp_path)
    assert piped.returncode == 1 and json.loads(piped.stdout)["kernels"], piped.stdout
    assert "python.one-pass-variance" in piped.stderr


@pytest.mark.parametrize("args, message", [
    (["--json", "same", "--junit", "same"], "name the same file"),
    (["--json", "missing/run.json"], "no such directory"),
])
def test_a_bad_document_path_is_exit_2_before_the_run(tmp_path, args, message):
    (tmp_path / "spec.py").write_text(SPEC)
    checked = run("check", "--python", "spec.py:plain", *args, cwd=tmp_path)
    assert checked.returncode == 2 and message in checked.stderr, checked.stderr
