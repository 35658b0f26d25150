"""The headless CLI. Each subcommand lives in its own module here and is listed in COMMANDS.

A command module provides `register(subparsers)`, which adds its parser and sets
`handler=<callable(argparse.Namespace) -> int>` with `set_defaults`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from groundstation import __version__
from groundstation.errors import InputError

# Module names under groundstation.cli, in the order `--help` lists them.
COMMANDS: tuple[str, ...] = (
    "modem",
    "elements",
    "radio",
    "keys",
    "roster",
    "packet",
    "audit",
    "passes",
    "demo",
    "telemetry",
    "track",
    "plan",
    "sim",
    "commands",
)

EXIT_OK = 0
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2), as every bad-input path in the CLI."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="groundstation",
        description="Ground station for a post-quantum governed constellation. "
        "With no subcommand, `groundstation` opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"groundstation {__version__}")
    sub = parser.add_subparsers(title="subcommands", metavar="SUBCOMMAND", parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f"groundstation.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(handler(args))
    except InputError as exc:
        print(f"groundstation: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
