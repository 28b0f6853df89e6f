"""The two pytest files docs/python.md shows run as written and pass."""

import os
import pathlib
import re
import subprocess
import sys

import normcheck

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "python.md"


def test_the_documented_pytest_files_pass(tmp_path):
    text = DOC.read_text()
    for name in ("test_my_layernorm.py", "test_my_module.py"):
        block = re.search(r"A file `" + re.escape(name) + r"`.*?```python\n(.*?)```", text, re.S)
        assert block, f"docs/python.md shows no {name}"
        (tmp_path / name).write_text(block.group(1))
    # The package this suite imports, as an absolute path: the files run in another folder.
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(normcheck.__file__).resolve().parents[1]))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_my_layernorm.py",
                          "test_my_module.py"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout
