"""`groundstation commands list`: the command lifecycle kept in a station archive."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from groundstation.commanding import CommandStore, CommandStoreError
from groundstation.errors import InputError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("commands", help="governance commands and their lifecycle")
    actions = parser.add_subparsers(
        title="actions", metavar="ACTION", required=True, parser_class=type(parser)
    )
    listing = actions.add_parser("list", help="every command with its state (json: and its transitions)")
    listing.add_argument("--db", required=True, help="archive: SQLite file or database URL")
    listing.add_argument("--node", help="only this node's commands")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.set_defaults(handler=run_list)


def run_list(args: argparse.Namespace) -> int:
    try:
        store = CommandStore.open_existing(args.db)
    except CommandStoreError as exc:
        raise InputError(f"--db: {exc}") from None
    try:
        records = store.commands(args.node)
        transitions = store.transitions()
    finally:
        store.close()
    if args.node and not records:
        raise InputError(f"--node: no commands for {args.node!r}")
    if args.format == "json":
        by_command: dict[int, list[dict[str, object]]] = {}
        for t in transitions:
            by_command.setdefault(t.command_id, []).append(
                {
                    "time": t.time.isoformat(),
                    "state": t.state.value,
                    "station": t.station,
                    "attempt": t.attempt,
                    "reason": t.reason,
                    "detail": t.detail,
                }
            )
        document = [
            {
                "id": r.id,
                "node": r.node,
                "summary": r.summary,
                "payload_type": r.payload_type,
                "packet_id": r.packet_id,
                "sequence": r.sequence,
                "epoch": r.epoch,
                "valid_from": r.valid_from.isoformat(),
                "valid_until": r.valid_until.isoformat(),
                "state": r.state.value,
                "reason": r.reason,
                "attempts": r.attempts,
                "updated": r.updated.isoformat(),
                "transitions": by_command.get(r.id, []),
            }
            for r in records
        ]
        json.dump(document, sys.stdout, indent=1)
        print()
        return 0
    header = (
        f"{'id':>4}  {'node':<12} {'state':<10} {'reason':<14} {'tries':>5}  {'updated (UTC)':<20} summary"
    )
    print(header)
    for r in records:
        print(
            f"{r.id:>4}  {r.node:<12} {r.state.value:<10} {r.reason or '':<14} {r.attempts:>5}  "
            f"{r.updated:%Y-%m-%d %H:%M:%S}  {r.summary}"
        )
    return 0
