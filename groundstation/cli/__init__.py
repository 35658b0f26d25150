"""The headless CLI. Each subcommand lives in its own module here and is listed in COMMANDS with its help.

A command module provides `register(subparsers)`, which adds its parser and sets
`handler=<callable(argparse.Namespace) -> int>` with `set_defaults`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from groundstation import __version__
from groundstation.errors import InputError

# Subcommand -> its one-line help, in the order `--help` lists them. Only the chosen subcommand's
# module (groundstation.cli.<name>) is imported, so `--help` and each command start fast.
COMMANDS: dict[str, str] = {
    "modem": "encode AX.25 frames to 9600 bd G3RUH audio, or decode them from a WAV file",
    "elements": "orbital elements: update sources, list with age, generate Walker constellations",
    "radio": "SDR devices: list backends and devices",
    "keys": "council signing keys (ML-DSA)",
    "roster": "council rosters",
    "packet": "governance packets: create, approve, inspect, verify",
    "audit": "the hash-chained governance audit log",
    "passes": "predict passes (AOS, TCA, LOS) of satellites over ground stations",
    "demo": "upcoming passes of the built-in demo constellation over the demo stations",
    "telemetry": "query and export the telemetry archive",
    "track": "track a satellite in real time: rotator pointing and Doppler tuning",
    "plan": "plan contacts between stations and nodes (optimal MIP or greedy)",
    "sim": "run the node and link simulation headless",
    "commands": "governance commands and their lifecycle",
    "alarms": "alarms and their history: list, acknowledge, shelve",
}

EXIT_OK = 0
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2), as every bad-input path in the CLI."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The CLI parser; with `selected`, only that subcommand is built in full (the rest list their help)."""
    parser = _Parser(
        prog="groundstation",
        description="Ground station for a post-quantum governed constellation. "
        "With no subcommand, `groundstation` opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"groundstation {__version__}")
    sub = parser.add_subparsers(title="subcommands", metavar="SUBCOMMAND", parser_class=_Parser)
    for name, text in COMMANDS.items():
        if selected is None or name == selected:
            importlib.import_module(f"groundstation.cli.{name}").register(sub)
        else:
            sub.add_parser(name, help=text, add_help=False)
    return parser


def _selected_command(argv: Sequence[str]) -> str:
    """The subcommand named in argv ("" for none): the first argument that is not an option."""
    first = next((arg for arg in argv if not arg.startswith("-")), "")
    return first if first in COMMANDS else ""


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_selected_command(arguments))
    args = parser.parse_args(arguments)
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
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as Unix tools do.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps interpreter shutdown from failing again
        return 141
