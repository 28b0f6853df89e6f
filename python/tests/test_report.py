"""normcheck.report() and `normcheck report --python FILE.py:NAME`: Python kernels in the
accuracy report beside the built-ins, judged by the same sweeps; their worst cases replay
(the printed commands verbatim) and a bad request is a clear error (exit 2 on the CLI)."""

import json
import shlex
import subprocess
import textwrap

import pytest

import normcheck
from cli_run import CLI

SPEC = textwrap.dedent('''
    import torch
    import normcheck

    def two_pass_in_f64(x, gamma, beta, eps):
        z = x.double()
        mean = z.mean(-1, keepdim=True)
        y = (z - mean) / torch.sqrt(((z - mean) ** 2).mean(-1, keepdim=True) + eps)
        if gamma is not None:
            y = y * gamma.double()
        return (y if beta is None else y + beta.double()).to(x.dtype)

    def one_pass(x, gamma, beta, eps):
        mean = x.mean(-1, keepdim=True)
        var = (x * x).mean(-1, keepdim=True) - mean * mean
        return (x - mean) / torch.sqrt(var + eps) * (1 if gamma is None else gamma) + (0 if beta is None else beta)

    careful = normcheck.KernelSpec(two_pass_in_f64, x_dtype="f32", name="python.careful")
    one_pass_variance = normcheck.KernelSpec(one_pass, x_dtype="f32", name="python.one-pass")
    clash = normcheck.KernelSpec(one_pass, x_dtype="f32", name="layernorm.f32.two_pass")
    backward = normcheck.KernelSpec(two_pass_in_f64, x_dtype="f32", backward=True)
''')


def load(tmp_path):
    """The spec file's module, written to tmp_path (the CLI tests load it by path)."""
    import importlib.util

    (tmp_path / "spec.py").write_text(SPEC)
    module_spec = importlib.util.spec_from_file_location("report_spec", tmp_path / "spec.py")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def kernel_entries(report_json):
    return {k["name"]: k for k in report_json["kernels"]}


def test_report_judges_python_kernels_beside_a_builtin(tmp_path):
    spec = load(tmp_path)
    out = tmp_path / "report"
    result = normcheck.report({"python.careful": spec.careful, "python.one-pass": spec.one_pass_variance}, out,
                              builtins=["layernorm.f32.two_pass"], quick=True)
    assert result.exit_code == 1 and not result.ok, result
    kernels = kernel_entries(result.json)
    assert set(kernels) == {"python.careful", "python.one-pass", "layernorm.f32.two_pass"}
    assert kernels["python.careful"]["origin"] == "python" and kernels["layernorm.f32.two_pass"]["origin"] == "builtin"
    verdicts = {name: k["overall"]["verdict"] for name, k in kernels.items()}
    assert verdicts == {"python.careful": "pass", "python.one-pass": "fail", "layernorm.f32.two_pass": "pass"}
    for name in ("index.html", "report.md"):
        assert "python.one-pass" in (out / name).read_text()
    # A callable handed over in Python has no spec file: its worst cases replay through the API.
    worst = kernels["python.one-pass"]["worst_cases"]
    failing = [w for w in worst if w["failed"]]
    assert failing and all(w["replay"].startswith("normcheck.replay(") for w in worst)
    for w in failing:
        assert normcheck.replay(out / w["file"], spec.one_pass).failed


def test_a_backward_spec_is_in_the_backward_section(tmp_path):
    spec = load(tmp_path)
    result = normcheck.report({"python.careful-backward": spec.backward}, tmp_path / "report", quick=True)
    assert result.json["kernels"] == [], result
    [kernel] = result.json["backward_kernels"]
    assert kernel["name"] == "python.careful-backward" and kernel["origin"] == "python", kernel
    assert kernel["overall"]["verdict"] == "pass", result


def test_only_the_python_kernels_without_builtins(tmp_path):
    spec = load(tmp_path)
    result = normcheck.report({"python.careful": spec.careful}, tmp_path / "report", quick=True)
    assert result.ok and [k["name"] for k in result.json["kernels"]] == ["python.careful"], result


pytestmark_cli = pytest.mark.skipif(not CLI, reason="NORMCHECK_CLI (the normcheck executable) not set; ctest sets it")


def run(*args, cwd):
    return subprocess.run([CLI, *args], cwd=cwd, capture_output=True, text=True)


@pytestmark_cli
def test_cli_report_with_python_runs_its_printed_replays(tmp_path):
    (tmp_path / "spec.py").write_text(SPEC)
    done = run("report", "--python", "spec.py:one_pass_variance", "--kernel", "layernorm.f32.two_pass", "--quick",
               "--out", "report", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.startswith("normcheck report: 2 kernel(s), 1 with findings"), done.stdout
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    kernels = kernel_entries(report)
    assert kernels["python.one-pass"]["origin"] == "python spec.py:one_pass_variance"
    assert "--python spec.py:one_pass_variance" in report["command"]
    worst = kernels["python.one-pass"]["worst_cases"]
    assert worst and all("replay" in w and "--python spec.py:one_pass_variance" in w["replay"] for w in worst)
    for w in worst:
        replayed = subprocess.run(shlex.split(w["replay"]), cwd=tmp_path, capture_output=True, text=True)
        assert replayed.returncode == (1 if w["failed"] else 0), replayed.stdout + replayed.stderr
    builtin = kernels["layernorm.f32.two_pass"]["worst_cases"][0]["replay"]
    assert " --kernel layernorm.f32.two_pass" in builtin and "--python" not in builtin


@pytestmark_cli
@pytest.mark.parametrize("args, message", [
    (["--python", "spec.py:clash"], 'kernel "layernorm.f32.two_pass": a kernel of that name exists already'),
    (["--python", "spec.py:careful", "--python", "spec.py:careful"], "a second kernel named python.careful"),
    (["--python", "spec.py:careful", "--kernel", "no.such.kernel"], 'unknown kernel "no.such.kernel"'),
    (["--python", "spec.py:careful", "--out", "stray"], '--out stray: holds "notes.txt", which is not part of a report'),
])
def test_a_bad_report_request_is_exit_2_with_one_line(tmp_path, args, message):
    (tmp_path / "spec.py").write_text(SPEC)
    (tmp_path / "stray").mkdir()
    (tmp_path / "stray" / "notes.txt").write_text("not a report")
    out = [] if "--out" in args else ["--out", "report"]
    done = run("report", *args, *out, "--quick", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert (tmp_path / "stray" / "notes.txt").exists()


@pytestmark_cli
def test_cli_list_with_python_adds_the_specs_to_the_cli_list(tmp_path):
    (tmp_path / "spec.py").write_text(SPEC)
    plain = run("list", cwd=tmp_path)
    listed = run("list", "--python", "spec.py:careful", "--python", "spec.py:backward", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert [line for line in lines if not line.startswith("python.")] == plain.stdout.splitlines()
    forward = next(line for line in lines if line.startswith("python.careful "))
    backward = next(line for line in lines if line.startswith("python.backward "))
    assert "op=layernorm x=f32" in forward and "origin=python spec.py:careful" in forward
    assert " backward " in backward and lines.index(forward) < lines.index(backward)
