"""`groundstation audit`: show and verify the governance audit log."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from groundstation.cli._governance import audit_log
from groundstation.errors import InputError
from groundstation.governance.audit import AuditError, AuditLog


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("audit", help="the hash-chained governance audit log")
    sub = parser.add_subparsers(title="actions", metavar="ACTION", required=True, parser_class=type(parser))
    for name, handler, text in (("verify", _verify, "check the chain"), ("show", _show, "print the entries")):
        action = sub.add_parser(name, help=text)
        action.add_argument("--log", type=Path, help="default: the station's governance log")
        action.set_defaults(handler=handler)


def _log(args: argparse.Namespace) -> AuditLog:
    return AuditLog(args.log) if args.log else audit_log()


def _verify(args: argparse.Namespace) -> int:
    try:
        count = _log(args).verify()
    except AuditError as exc:
        print(f"audit log does not verify: {exc}")
        return 1
    print(f"audit log verifies: {count} entries")
    return 0


def _show(args: argparse.Namespace) -> int:
    try:
        entries = _log(args).entries()
    except AuditError as exc:
        raise InputError(str(exc)) from exc
    for entry in entries:
        print(
            f"{entry.index}\t{entry.at.isoformat()}\t{entry.event.value}\t{entry.actor}\t{entry.packet_id[:16]}\t"
            f"{json.dumps(entry.details, sort_keys=True)}"
        )
    return 0
