"""`python3 -m normcheck check|replay|report ... --python FILE.py:NAME`: the command line of
the package, which `normcheck check --python`, `normcheck replay --python` and `normcheck
report --python` hand their arguments to (docs/cli.md, "Python kernels"). Exit codes as the
CLI's: 0 within budget, 1 findings, 2 bad usage or input."""

import argparse
import os
import shlex
import sys

from . import _spec, check, replay, report


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
    return parser


def _kernel_options(spec):
    """check()'s keywords for the spec's kernel; its name is given apart (load_spec)."""
    return {k: v for k, v in spec.keywords.items() if k != "name"}


def _check(args):
    spec, name = _spec.load_spec(args.python)
    options = _kernel_options(spec)
    if not 1 <= args.cases <= 1_000_000_000:
        raise _spec.SpecError(f"--cases {args.cases}: expected 1 to 1000000000")
    result = check(spec.fn, seed=args.seed, cases=args.cases, save_failures=args.save_failures,
                   shrink=not args.no_shrink, max_findings=args.max_findings, case_timeout_ms=args.case_timeout_ms,
                   isolate=not args.no_isolate, name=name, **options)
    text = str(result)
    # The engine's replay lines are Python calls; a command line user gets the command.
    for finding in result.findings:
        if finding.case_file:
            command = " ".join(shlex.quote(a) for a in (_executable(), "replay", finding.case_file, "--python",
                                                         args.python))
            text = text.replace(finding.replay, command)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
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


def _report(args):
    specs = {}
    for reference in args.python:
        spec, name = _spec.load_spec(reference)
        if name in specs:
            raise _spec.SpecError(f"--python {reference}: a second kernel named {name}")
        specs[name] = spec
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
    run = {"check": _check, "replay": _replay, "report": _report}[args.command]
    try:
        return run(args)
    except (_spec.SpecError, ValueError, TypeError) as error:
        sys.stderr.write(f"normcheck: {error}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
