"""`groundstation alarms list|history|ack|shelve|unshelve`: alarms and their history in an archive.

Acknowledgements and shelves written here reach a station running on the same archive: its alarm
manager picks them up from the event trail on its next telemetry batch or tick.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TextIO

from groundstation.cli.telemetry import open_archive, parse_time
from groundstation.clock import SystemClock
from groundstation.errors import InputError
from groundstation.telemetry.alarms import (
    Alarm,
    AlarmError,
    AlarmEvent,
    AlarmStore,
    acknowledge_events,
    shelve_events,
    unshelve_events,
)

SECONDS_PER_MINUTE = 60.0
LIST_COLUMNS = (
    "id",
    "node",
    "kind",
    "parameter",
    "severity",
    "current_severity",
    "triggered_utc",
    "trigger_value",
    "last_value",
    "acknowledged_by",
    "acknowledged_utc",
    "shelved_until_utc",
    "closed_utc",
    "command_id",
    "detail",
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("alarms", help="alarms and their history: list, acknowledge, shelve")
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)

    def db(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", required=True, help="archive: SQLite file or database URL")

    def window(p: argparse.ArgumentParser) -> None:
        p.add_argument("--node", help="only this node")
        p.add_argument("--parameter", help="only this parameter (stale alarms: the packet)")
        p.add_argument("--since", help="ISO 8601 start (inclusive; UTC when no zone)")
        p.add_argument("--until", help="ISO 8601 end (exclusive)")
        p.add_argument("--format", choices=("table", "csv", "json"), default="table")

    listing = actions.add_parser("list", help="alarms alive in the window, newest first")
    db(listing)
    window(listing)
    listing.add_argument("--active", action="store_true", help="only open alarms")
    listing.set_defaults(handler=run_list)

    history = actions.add_parser("history", help="every alarm transition in the window, oldest first")
    db(history)
    window(history)
    history.add_argument("--alarm", type=int, help="only this alarm id")
    history.set_defaults(handler=run_history)

    def operator(p: argparse.ArgumentParser) -> None:
        db(p)
        p.add_argument("alarm_id", metavar="ID", type=int, help="alarm id (see `alarms list`)")
        p.add_argument("--by", default=None, help="operator name (default: the login name)")

    ack = actions.add_parser("ack", help="acknowledge an open alarm")
    operator(ack)
    ack.add_argument("--comment")
    ack.set_defaults(handler=run_ack)

    shelve = actions.add_parser("shelve", help="hide an open alarm from the fleet view for M minutes")
    operator(shelve)
    shelve.add_argument("--minutes", type=float, required=True)
    shelve.add_argument("--comment")
    shelve.set_defaults(handler=run_shelve)

    unshelve = actions.add_parser("unshelve", help="show a shelved alarm again")
    operator(unshelve)
    unshelve.set_defaults(handler=run_unshelve)


@contextmanager
def _store(target: str) -> Iterator[AlarmStore]:
    with open_archive(target) as archive:
        yield AlarmStore(archive.db)


def _window(args: argparse.Namespace) -> dict[str, Any]:
    since = parse_time(args.since, "--since") if args.since else None
    until = parse_time(args.until, "--until") if args.until else None
    if since and until and until <= since:
        raise InputError(f"--until: {args.until} is not after --since {args.since}")
    return {"node": args.node, "parameter": args.parameter, "since": since, "until": until}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _num(value: float) -> float | None:
    return None if math.isnan(value) else value


def _alarm_doc(a: Alarm) -> dict[str, Any]:
    return {
        "id": a.id,
        "node": a.node,
        "kind": a.kind.value,
        "parameter": a.parameter,
        "severity": a.severity.label,
        "current_severity": a.current_severity.label,
        "triggered_utc": _iso(a.triggered_at),
        "trigger_value": _num(a.trigger_value),
        "last_value": _num(a.last_value),
        "acknowledged_by": a.acknowledged_by,
        "acknowledged_utc": _iso(a.acknowledged_at),
        "shelved_until_utc": _iso(a.shelved_until),
        "closed_utc": _iso(a.closed_at),
        "command_id": a.command_id,
        "detail": a.detail,
    }


def write_alarms(alarms: list[Alarm], fmt: str, out: TextIO) -> None:
    docs = [_alarm_doc(a) for a in alarms]
    if fmt == "json":
        json.dump(docs, out, indent=1)
        out.write("\n")
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(LIST_COLUMNS)
        for d in docs:
            writer.writerow(["" if d[c] is None else d[c] for c in LIST_COLUMNS])
    else:
        out.write(
            f"{'id':>5}  {'node':<12} {'severity':<9} {'now':<9} {'state':<12} {'triggered (UTC)':<20} what\n"
        )
        for a in alarms:
            state = "closed" if a.closed_at else "acked" if a.acknowledged else "unacked"
            if a.shelved_until is not None and a.closed_at is None:
                state += "/shelved"
            what = a.label + (f": {a.detail}" if a.detail else f" = {a.last_text or f'{a.last_value:.6g}'}")
            out.write(
                f"{a.id:>5}  {a.node:<12} {a.severity.label:<9} {a.current_severity.label:<9} {state:<12} "
                f"{a.triggered_at:%Y-%m-%d %H:%M:%S}  {what}\n"
            )


def run_list(args: argparse.Namespace) -> int:
    filters = _window(args)
    with _store(args.db) as store:
        alarms = store.alarms(**filters, active=args.active)
    write_alarms(alarms, args.format, sys.stdout)
    return 0


def run_history(args: argparse.Namespace) -> int:
    filters = _window(args)
    with _store(args.db) as store:
        if args.format == "csv":
            store.export_history_csv(sys.stdout, **filters, alarm_id=args.alarm)
            return 0
        entries = store.history_events(**filters, alarm_id=args.alarm)
    if args.format == "json":
        docs = [
            {
                "time_utc": h.time.isoformat(),
                "alarm_id": h.alarm_id,
                "node": h.node,
                "parameter": h.parameter,
                "alarm_kind": h.alarm_kind.value,
                "event": h.kind.value,
                "severity": h.severity.label,
                "value": _num(h.value),
                "actor": h.actor,
                "comment": h.comment,
                "shelved_until_utc": _iso(h.shelved_until),
                "command_id": h.command_id,
                "detail": h.detail,
            }
            for h in entries
        ]
        json.dump(docs, sys.stdout, indent=1)
        print()
        return 0
    print(f"{'time (UTC)':<20}  {'alarm':>5}  {'node':<12} {'event':<12} {'severity':<9} what")
    for h in entries:
        extra = [f"by {h.actor}"] if h.actor else []
        if h.shelved_until is not None:
            extra.append(f"until {h.shelved_until:%Y-%m-%d %H:%M:%S}")
        if h.comment:
            extra.append(repr(h.comment))
        value = "" if math.isnan(h.value) else f" = {h.value:.6g}"
        print(
            f"{h.time:%Y-%m-%d %H:%M:%S}  {h.alarm_id:>5}  {h.node:<12} {h.kind.value:<12} "
            f"{h.severity.label:<9} {h.parameter}{value} {' '.join(extra)}".rstrip()
        )
    return 0


def _operate(args: argparse.Namespace, make: Any) -> int:
    by = args.by or getpass.getuser()
    now = SystemClock().now()
    with _store(args.db) as store:
        try:
            alarm = store.get(args.alarm_id)
        except AlarmError:
            raise InputError(f"ID: no alarm #{args.alarm_id}") from None
        if not alarm.is_open:
            raise InputError(
                f"ID: alarm #{args.alarm_id} is closed ({alarm.closed_at:%Y-%m-%d %H:%M:%S} UTC)"
            )
        events: list[AlarmEvent] = make(alarm, now, by)
        saved = store.save(events)
    result = saved[-1].alarm
    print(
        f"alarm #{result.id} {result.node} {result.label}: "
        + ", ".join(e.kind.value for e in saved)
        + f" by {by}"
    )
    return 0


def run_ack(args: argparse.Namespace) -> int:
    return _operate(args, lambda alarm, now, by: acknowledge_events(alarm, now, by, args.comment))


def run_shelve(args: argparse.Namespace) -> int:
    minutes = args.minutes
    if not (math.isfinite(minutes) and minutes > 0):
        raise InputError(f"--minutes: must be > 0, got {minutes}")
    return _operate(
        args,
        lambda alarm, now, by: shelve_events(alarm, now, minutes * SECONDS_PER_MINUTE, by, args.comment),
    )


def run_unshelve(args: argparse.Namespace) -> int:
    def make(alarm: Alarm, now: datetime, by: str) -> list[AlarmEvent]:
        if alarm.shelved_until is None:
            raise InputError(f"ID: alarm #{alarm.id} is not shelved")
        return unshelve_events(alarm, now, by)

    return _operate(args, make)


__all__ = ["run_ack", "run_history", "run_list", "run_shelve", "run_unshelve"]
