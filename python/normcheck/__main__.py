"""`python3 -m normcheck check|replay|report ... --python FILE.py:NAME`: the command line of
the package, which `normcheck check --python`, `normcheck replay --python` and `normcheck
report --python` hand their arguments to (docs/cli.md, "Python kernels"). Exit codes as the
CLI's: 0 within budget, 1 findings, 2 bad usage or input."""

import argparse
import os
import shlex
import sys

from . import _spec, check, list_kernels, replay, report


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, as the CLI
        sys.stderr.write(f"normcheck: {message}\n")
        sys.exit(2)


def _executable():
    return os.environ.get("NORMCHECK_EXECUTABLE", "normcheck")


def _parser():
    parser = _Parser(prog="normcheck", description="normcheck for Python kernels (--python FILE.py:NAME)")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    c = commands.add_parser("check", help="check a Python kernel on generated cases")
    c.add_argument("--python", required=True, metavar="FILE.py:NAME", help="the kernel spec")
    c.add_argument("--seed", type=int, default=1)
    c.add_argument("--cases", type=int, default=1000)
    c.add_argument("--save-failures", metavar="DIR")
    c.add_argument("--no-shrink", action="store_true")
    c.add_argument("--max-findings", type=int, default=8)
    c.add_argument("--case-timeout-ms", type=int, default=10000)
    c.add_argument("--no-isolate", action="store_true", help="run the kernel in this process")
    c.add_argument("--json", metavar="FILE", help="the run as JSON, the CLI's document (- for standard output)")
    c.add_argument("--junit", metavar="FILE", help="the run as JUnit XML (- for standard output)")
    r = commands.add_parser("replay", help="replay case files on a Python kernel")
    r.add_argument("cases", nargs="+", metavar="CASE.json")
    r.add_argument("--python", required=True, metavar="FILE.py:NAME", help="the kernel spec")
    r.add_argument("--no-isolate", action="store_true")
    p = commands.add_parser("report", help="the accuracy report, with Python kernels beside the others")
    p.add_argument("--python", required=True, action="append", metavar="FILE.py:NAME",
                   help="a kernel spec (repeatable), judged in this process")
    p.add_argument("--kernel", action="append", default=[], metavar="NAME",
                   help="another kernel to report on (repeatable; default: every kernel that is not a mutant)")
    p.add_argument("--plugin", action="append", default=[], metavar="LIB")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--budgets", metavar="FILE")
    p.add_argument("--no-isolate", action="store_true", help="run the other kernels in this process too")
    p.add_argument("--case-timeout-ms", type=int, default=10000)
    ls = commands.add_parser("list", help="the kernels, the Python ones last")
    ls.add_argument("--python", required=True, action="append", metavar="FILE.py:NAME", help="a kernel spec")
    ls.add_argument("--plugin", action="append", default=[], metavar="LIB")
    return parser


def _kernel_options(spec):
    """check()'s keywords for the spec's kernel; its name is given apart (load_spec)."""
    return {k: v for k, v in spec.keywords.items() if k != "name"}


def _outputs(args):
    """(flag, path) of the documents asked for, refused before the run as the CLI refuses them:
    two that name one file, or a path whose directory is missing."""
    outputs = [(flag, path) for flag, path in (("--junit", args.junit), ("--json", args.json)) if path]
    if len(outputs) == 2 and (args.junit == args.json or (args.json != "-" and args.junit != "-" and
                                                          os.path.abspath(args.json) == os.path.abspath(args.junit))):
        raise _spec.SpecError(f"--json {args.json} and --junit {args.junit} name the same file: one would overwrite "
                              "the other")
    for flag, path in outputs:
        if path == "-":
            continue
        parent = os.path.dirname(os.path.abspath(path))
        if os.path.isdir(path) or not os.path.isdir(parent):
            raise _spec.SpecError(f"{flag} {path}: " + ("is a directory" if os.path.isdir(path)
                                                       else f"{parent}: no such directory"))
    return outputs


def _write_document(flag, path, text):
    """Standard output for -, else the file written whole (a temporary beside it, renamed)."""
    if path == "-":
        sys.stdout.write(text)
        return
    temporary = f"{path}.tmp-{os.getpid()}"
    try:
        with open(temporary, "w") as f:
            f.write(text)
        os.replace(temporary, path)
    except OSError as error:
        raise _spec.SpecError(f"{flag} {path}: not written: {error.strerror}") from None


def _check(args):
    outputs = _outputs(args)
    spec, name = _spec.load_spec(args.python)
    options = _kernel_options(spec)
    if not 1 <= args.cases <= 1_000_000_000:
        raise _spec.SpecError(f"--cases {args.cases}: expected 1 to 1000000000")
    result = check(spec.fn, seed=args.seed, cases=args.cases, save_failures=args.save_failures,
                   shrink=not args.no_shrink, max_findings=args.max_findings, case_timeout_ms=args.case_timeout_ms,
                   isolate=not args.no_isolate, name=name, replay_spec=args.python, **options)
    text = str(result)  # its replay lines are `normcheck replay CASE --python FILE.py:NAME` (replay_spec)
    # With a document on standard output, it carries that document and nothing else.
    summary_stream = sys.stderr if any(path == "-" for _, path in outputs) else sys.stdout
    summary_stream.write(text if text.endswith("\n") else text + "\n")
    summary_stream.flush()
    for flag, path in outputs:
        _write_document(flag, path, result.junit if flag == "--junit" else result.json)
    return 0 if result.ok else 1


def _replay(args):
    spec, name = _spec.load_spec(args.python)
    options = _kernel_options(spec)
    options.pop("backward", None)  # replay reads the direction from the case file
    failed = False
    for case in args.cases:
        if not os.path.isfile(case):
            raise _spec.SpecError(f"{case}: no such case file")
        outcome = replay(case, spec.fn, isolate=not args.no_isolate, name=name, **options)
        print(f"{case}: {outcome.verdict}: {outcome.detail}")
        failed = failed or outcome.failed
    return 1 if failed else 0


def _load_specs(references):
    """{kernel name: spec} of --python FILE.py:NAME references; two of one name are refused."""
    specs = {}
    for reference in references:
        spec, name = _spec.load_spec(reference)
        if name in specs:
            raise _spec.SpecError(f"--python {reference}: a second kernel named {name}")
        specs[name] = spec
    return specs


def _list(args):
    for line in list_kernels(_load_specs(args.python), plugins=args.plugin):
        print(line)
    return 0


def _report(args):
    specs = _load_specs(args.python)
    if args.seed < 0:
        raise _spec.SpecError(f"--seed {args.seed}: expected a non-negative integer")
    if args.threads < 0:
        raise _spec.SpecError(f"--threads {args.threads}: expected 0 (every hardware thread) or more")
    words = [_executable(), "report"]
    for reference in args.python:
        words += ["--python", reference]
    for name in args.kernel:
        words += ["--kernel", name]
    for plugin in args.plugin:
        words += ["--plugin", plugin]
    words += ["--out", args.out, "--seed", str(args.seed)] + (["--quick"] if args.quick else [])
    if args.budgets:
        if not os.path.isfile(args.budgets):
            raise _spec.SpecError(f"--budgets {args.budgets}: no such file")
        words += ["--budgets", args.budgets]
    if args.no_isolate:
        words.append("--no-isolate")
    if args.case_timeout_ms != 10000:
        words += ["--case-timeout-ms", str(args.case_timeout_ms)]
    result = report(specs, args.out, builtins=args.kernel or "all", plugins=args.plugin, seed=args.seed,
                    quick=args.quick, threads=args.threads, budgets=args.budgets, isolate=not args.no_isolate,
                    case_timeout_ms=args.case_timeout_ms, progress=sys.stderr.isatty(),
                    command=" ".join(shlex.quote(w) for w in words))
    sys.stdout.write(str(result))
    return result.exit_code


def main(argv=None):
    args = _parser().parse_args(argv)
    run = {"check": _check, "replay": _replay, "report": _report, "list": _list}[args.command]
    try:
        return run(args)
    except (_spec.SpecError, ValueError, TypeError) as error:
        sys.stderr.write(f"normcheck: {error}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
