"""`python3 -m normcheck check|replay ... --python FILE.py:NAME`: the command line of the
package, which `normcheck check --python` and `normcheck replay --python` hand their
arguments to (docs/cli.md, "Python kernels"). Exit codes as the CLI's: 0 within budget,
1 findings, 2 bad usage or input."""

import argparse
import os
import shlex
import sys

from . import _spec, check, replay


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


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        return _check(args) if args.command == "check" else _replay(args)
    except (_spec.SpecError, ValueError, TypeError) as error:
        sys.stderr.write(f"normcheck: {error}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
