"""The normcheck executable ctest points NORMCHECK_CLI at, run as a user runs it."""

import json
import os
import subprocess

CLI = os.environ.get("NORMCHECK_CLI")


def cli_kernel_summary(tmp_path, kernel, cases, seed):
    """`normcheck check --kernel KERNEL --cases CASES --seed SEED --json`: the kernel's entry."""
    out = tmp_path / "cli.json"
    subprocess.run([CLI, "check", "--kernel", kernel, "--cases", str(cases), "--seed", str(seed), "--json", str(out)],
                   check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())["kernels"][0]
