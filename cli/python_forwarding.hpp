// `normcheck check --python FILE.py:NAME`, `normcheck replay CASE... --python FILE.py:NAME`,
// `normcheck report --python FILE.py:NAME... --out DIR` and `normcheck list --python FILE.py:NAME...`:
// a kernel written in Python runs in the Python package's engine (python/), which is the
// same C++ engine inside the interpreter. The normcheck executable does not link Python:
// for these commands it hands its arguments to `python3 -m normcheck`, the package's own
// command line, with the package on PYTHONPATH (docs/cli.md, "Python kernels").
#pragma once

namespace normcheck::harness::cli {

// Whether argv is a check, replay, report or list with --python; if so, replaces this process with the
// package's command line and returns only when that is impossible, with the exit code 2
// after printing why (the package was not built, or exec failed).
bool forwards_to_python(int argc, char** argv, int& exit_code);

}  // namespace normcheck::harness::cli
