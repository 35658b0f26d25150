"""`groundstation telemetry query|export|prune|xtce-import`: the telemetry archive and dictionaries."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from groundstation.clock import SystemClock
from groundstation.errors import InputError
from groundstation.storage import from_us
from groundstation.telemetry.archive import (
    ArchiveError,
    ParameterSeries,
    RetentionPolicy,
    TelemetryArchive,
    UnknownNameError,
)
from groundstation.telemetry.dictionary import TelemetryDictionary


def parse_time(text: str, option: str) -> datetime:
    """ISO 8601; without a zone it is UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option}: not an ISO 8601 time: {text!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("telemetry", help="query and export the telemetry archive")
    commands = parser.add_subparsers(title="telemetry commands", metavar="COMMAND", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", required=True, help="archive: SQLite file or database URL")
        p.add_argument("--since", help="ISO 8601 start (inclusive; UTC when no zone)")
        p.add_argument("--until", help="ISO 8601 end (exclusive)")

    query = commands.add_parser("query", help="one parameter of one node over time")
    common(query)
    query.add_argument("--node", required=True)
    query.add_argument("--parameter", required=True)
    query.add_argument("--format", choices=("table", "csv", "json"), default="table")
    query.set_defaults(handler=run_query)

    export = commands.add_parser("export", help="samples (or raw frames) as CSV")
    common(export)
    export.add_argument("--node")
    export.add_argument("--parameter")
    export.add_argument("--frames", action="store_true", help="export raw frames (hex) instead of samples")
    export.add_argument("--out", default="-", help="output CSV file (default: stdout)")
    export.set_defaults(handler=run_export)

    xtce = commands.add_parser(
        "xtce-import", help="convert an XTCE telemetry definition to a TOML dictionary"
    )
    xtce.add_argument("xtce", metavar="FILE", help="XTCE XML file")
    xtce.add_argument("--out", default="-", help="TOML dictionary to write (default: stdout)")
    xtce.add_argument(
        "--period-s", type=float, default=10.0, help="expected packet period when XTCE gives no rate"
    )
    xtce.add_argument("--mode-parameter", help="enumerated parameter that selects per-mode limits")
    xtce.set_defaults(handler=run_xtce_import)

    prune = commands.add_parser("prune", help="retention: delete what is older than N days, per table")
    prune.add_argument("--db", required=True, help="archive: SQLite file or database URL")
    prune.add_argument("--frames-days", type=float, help="keep raw frames this many days")
    prune.add_argument("--samples-days", type=float, help="keep decoded samples this many days")
    prune.add_argument("--alarms-days", type=float, help="keep closed alarms this many days")
    prune.set_defaults(handler=run_prune)


@contextmanager
def open_archive(target: str) -> Iterator[TelemetryArchive]:
    try:
        archive = TelemetryArchive.open_existing(target)
    except ArchiveError as exc:
        raise InputError(f"--db: {exc}") from None
    try:
        yield archive
    finally:
        archive.close()


def _window(args: argparse.Namespace) -> tuple[datetime | None, datetime | None]:
    since = parse_time(args.since, "--since") if args.since else None
    until = parse_time(args.until, "--until") if args.until else None
    if since and until and until <= since:
        raise InputError(f"--until: {args.until} is not after --since {args.since}")
    return since, until


def _number(value: float) -> float | None:
    return None if math.isnan(value) else value


def write_series(series: ParameterSeries, fmt: str, out: TextIO) -> None:
    times = [from_us(int(t)).isoformat() for t in series.time_us]
    if fmt == "json":
        samples = [
            {"time": t, "raw": _number(float(r)), "eng": _number(float(e)), "text": x}
            for t, r, e, x in zip(times, series.raw, series.eng, series.text, strict=True)
        ]
        doc = {"node": series.node, "parameter": series.parameter, "unit": series.unit, "samples": samples}
        json.dump(doc, out, indent=1)
        out.write("\n")
    elif fmt == "csv":
        out.write("time_utc,raw_value,eng_value,text,unit\n")
        for t, r, e, x in zip(times, series.raw, series.eng, series.text, strict=True):
            out.write(f"{t},{float(r)!r},{float(e)!r},{x or ''},{series.unit}\n")
    else:
        unit = f" [{series.unit}]" if series.unit else ""
        out.write(f"{series.node} {series.parameter}{unit}: {len(series)} samples\n")
        out.write(f"{'time (UTC)':<32}  {'value':>16}  {'raw':>16}\n")
        for t, r, e, x in zip(times, series.raw, series.eng, series.text, strict=True):
            out.write(f"{t:<32}  {x if x is not None else f'{e:.6g}':>16}  {float(r):>16.10g}\n")


def run_query(args: argparse.Namespace) -> int:
    since, until = _window(args)
    with open_archive(args.db) as archive:
        try:
            series = archive.query_parameter(args.node, args.parameter, since, until)
        except UnknownNameError as exc:
            known = archive.node_names() if str(exc).startswith("unknown node") else archive.parameter_names()
            option = "--node" if str(exc).startswith("unknown node") else "--parameter"
            raise InputError(f"{option}: {exc} (known: {', '.join(known) or 'none'})") from None
    write_series(series, args.format, sys.stdout)
    return 0


def run_export(args: argparse.Namespace) -> int:
    since, until = _window(args)
    with open_archive(args.db) as archive:
        if args.node and args.node not in archive.node_names():
            raise InputError(f"--node: unknown node {args.node!r}")
        if args.parameter and args.parameter not in archive.parameter_names():
            raise InputError(f"--parameter: unknown parameter {args.parameter!r}")
        if args.out == "-":
            _export(archive, args, since, until, sys.stdout)
            return 0
        path = Path(args.out)
        if not path.parent.is_dir():
            raise InputError(f"--out: no such folder: {path.parent}")
        with path.open("w", encoding="utf-8", newline="") as out:
            count = _export(archive, args, since, until, out)
        print(f"wrote {count} rows to {path}", file=sys.stderr)
    return 0


def _export(
    archive: TelemetryArchive,
    args: argparse.Namespace,
    since: datetime | None,
    until: datetime | None,
    out: TextIO,
) -> int:
    if args.frames:
        if args.parameter:
            raise InputError("--parameter: not with --frames (frames hold every parameter)")
        return archive.export_frames_csv(out, node=args.node, since=since, until=until)
    return archive.export_samples_csv(out, node=args.node, parameter=args.parameter, since=since, until=until)


def run_prune(args: argparse.Namespace) -> int:
    days = {"frames": args.frames_days, "samples": args.samples_days, "alarms": args.alarms_days}
    if all(v is None for v in days.values()):
        raise InputError("prune: give at least one of --frames-days, --samples-days, --alarms-days")
    for name, value in days.items():
        if value is not None and not (math.isfinite(value) and value > 0):
            raise InputError(f"--{name}-days: must be > 0, got {value:g}")
    policy = RetentionPolicy(
        frames_days=args.frames_days, samples_days=args.samples_days, closed_alarms_days=args.alarms_days
    )
    with open_archive(args.db) as archive:
        report = archive.apply_retention(policy, SystemClock().now())
    print(
        f"deleted {report.frames_deleted} frames, {report.samples_deleted} samples, "
        f"{report.alarms_deleted} closed alarms"
    )
    return 0


def run_xtce_import(args: argparse.Namespace) -> int:
    from groundstation.telemetry.dictionary import DictionaryError, dictionary_to_toml
    from groundstation.telemetry.xtce import load_xtce

    if not (math.isfinite(args.period_s) and args.period_s > 0):
        raise InputError(f"--period-s: must be > 0, got {args.period_s:g}")
    try:
        dictionary = load_xtce(args.xtce, default_period_s=args.period_s, mode_parameter=args.mode_parameter)
        text = dictionary_to_toml(dictionary)
        if args.mode_parameter is not None:
            # The TOML loader checks what the importer cannot (the mode parameter is an enum).
            TelemetryDictionary.from_toml(text, args.xtce)
    except DictionaryError as exc:
        raise InputError(str(exc)) from None
    if args.out == "-":
        sys.stdout.write(text)
        return 0
    path = Path(args.out)
    if not path.parent.is_dir():
        raise InputError(f"--out: no such folder: {path.parent}")
    path.write_text(text, encoding="utf-8")
    count = sum(len(p.parameters) for p in dictionary.packets)
    print(f"wrote {len(dictionary.packets)} packets, {count} parameters to {path}", file=sys.stderr)
    return 0
