"""Command-line interface: parses arguments and calls library functions, nothing more.

Every command is a function ``cmd_<name>(args) -> int`` that tests can call.
User mistakes (any :class:`ScenarioGenError`) are printed as ``file:line:col:
message`` and exit with status 2, never with a traceback.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .errors import DSLError, ScenarioGenError

EXIT_OK = 0
EXIT_USER_ERROR = 2


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate each scenario file; print every problem; exit 2 if any file is invalid."""
    from .dsl import load_scenario

    bad = 0
    for path in args.files:
        try:
            spec = load_scenario(path)
        except DSLError as exc:
            bad += 1
            n = len(exc.problems)
            print(str(exc), file=sys.stderr)
            print(f"{path}: {n} problem{'s' if n != 1 else ''}", file=sys.stderr)
            continue
        if not args.quiet:
            print(f"{path}: ok ({spec.name}, {len(spec.actors)} actors, {spec.parameters.dim} parameters)")
    return EXIT_USER_ERROR if bad else EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    """Print the resolved spec: road, actors, events, parameter space with bounds."""
    from .dsl import load_scenario
    from .dsl.describe import summary

    for i, path in enumerate(args.files):
        spec = load_scenario(path)
        if i:
            print()
        print(summary(spec))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="scenariogen",
        description="Author, batch-generate and export autonomous-driving edge-case scenarios.",
    )
    parser.add_argument("--version", action="version", version=f"scenariogen {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", help="check scenario files and report every problem")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("-q", "--quiet", action="store_true", help="print problems only")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("show", help="print a scenario's resolved spec and parameter space")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_show)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USER_ERROR
    try:
        return args.func(args)
    except ScenarioGenError as exc:
        print(f"error: {exc}" if not isinstance(exc, DSLError) else str(exc), file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
