"""`groundstation elements`: update element sources, list elements with their age, generate Walker sets."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from groundstation import settings
from groundstation.app_settings import write_keeping_backup
from groundstation.clock import SystemClock
from groundstation.errors import InputError
from tracking.element_io import ElementsFileError, ElementsReadResult, format_elements, read_elements
from tracking.elements import Elements
from tracking.sources import (
    DEFAULT_SOURCES,
    ElementCache,
    ElementSource,
    parse_sources_toml,
    select_sources,
    sources_to_toml,
)
from tracking.walker import walker_delta

DEFAULT_MAX_AGE_DAYS = 7.0
MAX_REJECTIONS_SHOWN = 20
SOURCES_FILE = "sources.toml"
WALKER_FORMATS = ("tle", "3le", "omm-csv", "omm-json", "omm-xml")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "elements",
        help="orbital elements: update sources, list with age, generate Walker constellations",
        description="Orbital elements: fetch configured sources into the cache "
        f"(settings: {SOURCES_FILE}), list elements with their age, generate Walker-delta sets.",
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", parser_class=type(parser))

    def usage(_args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2

    parser.set_defaults(handler=usage)

    update = actions.add_parser(
        "update",
        help="fetch element sources into the cache (conditional requests, minimum interval)",
        description="Fetch the sources of sources.toml (default: CelesTrak amateur group) into the cache. "
        "A source requested less than its minimum interval ago is skipped unless --force; "
        "a source that fails keeps its cached copy. Exit 1 when a source has nothing usable.",
    )
    update.add_argument("--source", action="append", default=[], metavar="NAME", help="only this source")
    update.add_argument("--force", action="store_true", help="ignore the minimum interval between requests")
    update.set_defaults(handler=_update)

    listing = actions.add_parser(
        "list",
        help="list cached and given elements with their age; stale ones flagged",
        description="List the cached elements of every configured source and those of the given files.",
    )
    listing.add_argument("--elements", action="append", default=[], metavar="FILE", type=Path)
    listing.add_argument("--max-age-days", type=float, default=DEFAULT_MAX_AGE_DAYS, metavar="D")
    listing.add_argument("--at", metavar="ISO8601", help="age at this time (default: now, UTC)")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.set_defaults(handler=_list)

    walker = actions.add_parser(
        "walker",
        help="generate a Walker-delta constellation (i:T/P/F) as TLE or OMM",
        description="Walker delta i:T/P/F: T satellites in P equally spaced planes, circular orbits, "
        "adjacent planes phased by F*360/T degrees.",
    )
    walker.add_argument("--total", type=int, required=True, metavar="T")
    walker.add_argument("--planes", type=int, required=True, metavar="P")
    walker.add_argument("--phasing", type=int, required=True, metavar="F")
    walker.add_argument("--altitude-km", type=float, required=True, metavar="A")
    walker.add_argument("--inclination-deg", type=float, required=True, metavar="I")
    walker.add_argument("--epoch", metavar="ISO8601", help="element epoch (default: now, UTC)")
    walker.add_argument("--first-norad-id", type=int, default=900, metavar="N")
    walker.add_argument("--name-prefix", default="NODE")
    walker.add_argument("--format", choices=WALKER_FORMATS, default="3le")
    walker.add_argument("--output", type=Path, metavar="FILE", help="write here instead of stdout")
    walker.set_defaults(handler=_walker)


def _parse_time(text: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option}: not an ISO 8601 time: {text!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_sources() -> tuple[ElementSource, ...]:
    """The configured sources (settings dir's sources.toml), or the built-in default list."""
    path = settings.config_dir() / SOURCES_FILE
    try:
        text = path.read_text()
    except FileNotFoundError:
        return DEFAULT_SOURCES
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return parse_sources_toml(text, str(path))
    except ValueError as exc:
        raise InputError(str(exc)) from None


def save_sources(sources: Sequence[ElementSource]) -> Path:
    """Write sources.toml (the previous one kept as sources.toml.bak)."""
    path = settings.config_dir() / SOURCES_FILE
    write_keeping_backup(path, sources_to_toml(sources))
    return path


def element_cache() -> ElementCache:
    return ElementCache(settings.cache_dir() / "elements")


def _report_rejections(result: ElementsReadResult, label: str) -> None:
    if not result.rejected:
        return
    for rejection in result.rejected[:MAX_REJECTIONS_SHOWN]:
        print(f"groundstation: rejected: {rejection}", file=sys.stderr)
    hidden = len(result.rejected) - MAX_REJECTIONS_SHOWN
    more = f" ({hidden} not shown)" if hidden > 0 else ""
    counts = f"{len(result.rejected)} entries rejected, {len(result.elements)} loaded{more}"
    print(f"groundstation: {label}: {counts}", file=sys.stderr)


def _update(args: argparse.Namespace) -> int:
    try:
        sources = select_sources(load_sources(), args.source)
    except ValueError as exc:
        raise InputError(f"--source: {exc}") from None
    cache = element_cache()
    now = SystemClock().now()
    rows = []
    for source in sources:
        status = cache.update(source, now, force=args.force)
        rows.append(status)
        if status.state == "cached":
            confirmed = _iso(status.confirmed_at) if status.confirmed_at else "an unknown time"
            print(
                f"groundstation: warning: {source.name}: {status.message}; using the cached copy "
                f"(confirmed {confirmed})",
                file=sys.stderr,
            )
        elif status.state == "failed":
            print(f"groundstation: error: {source.name}: {status.message}; nothing cached", file=sys.stderr)
        if status.rejected:
            print(f"groundstation: {source.name}: {status.rejected} entries rejected", file=sys.stderr)
    widths = (max([6, *(len(r.source) for r in rows)]), 12)
    print(f"{'SOURCE':<{widths[0]}}  {'STATE':<{widths[1]}}  {'ELEMENTS':>8}  {'REJECTED':>8}  "
          f"{'CONFIRMED':<20}  MESSAGE")
    for r in rows:
        confirmed = _iso(r.confirmed_at) if r.confirmed_at else "-"
        print(f"{r.source:<{widths[0]}}  {r.state:<{widths[1]}}  {r.elements:>8}  {r.rejected:>8}  "
              f"{confirmed:<20}  {r.message}")
    return 0 if all(r.usable for r in rows) else 1


@dataclass(frozen=True)
class _Row:
    elements: Elements
    source: str
    age_days: float
    stale: bool


def _list(args: argparse.Namespace) -> int:
    at = _parse_time(args.at, "--at") if args.at else SystemClock().now()
    if not args.max_age_days >= 0:
        raise InputError(f"--max-age-days: must be >= 0, got {args.max_age_days}")
    gathered: list[tuple[str, ElementsReadResult]] = []
    cache = element_cache()
    for source in load_sources():
        try:
            cached = cache.read(source)
        except ElementsFileError as exc:
            print(f"groundstation: warning: cache of {source.name}: {exc}", file=sys.stderr)
            continue
        if cached is not None:
            gathered.append((source.name, cached))
    for path in args.elements:
        try:
            gathered.append((str(path), read_elements(path)))
        except ElementsFileError as exc:
            raise InputError(str(exc)) from None
    rows: list[_Row] = []
    for label, result in gathered:
        _report_rejections(result, label)
        for item in result.elements:
            age = item.age_days(at)
            rows.append(_Row(item, label, age, age > args.max_age_days))
    if not gathered:
        print(
            "groundstation: no elements: run `groundstation elements update` or give --elements FILE",
            file=sys.stderr,
        )
    if args.format == "json":
        records = [
            {
                "norad_id": row.elements.norad_id,
                "name": row.elements.name,
                "epoch": row.elements.epoch.astimezone(UTC).isoformat(timespec="milliseconds").replace(
                    "+00:00", "Z"
                ),
                "age_days": round(row.age_days, 4),
                "source": row.source,
                "stale": row.stale,
            }
            for row in rows
        ]
        print(json.dumps(records, indent=1))
    else:
        _print_table(rows)
    stale = sum(1 for row in rows if row.stale)
    if stale:
        print(
            f"groundstation: warning: {stale} of {len(rows)} element sets are older than "
            f"{args.max_age_days:g} days",
            file=sys.stderr,
        )
    return 0


def _print_table(rows: Sequence[_Row]) -> None:
    name_width = max([4, *(len(row.elements.name) for row in rows)])
    print(f"{'NORAD':>7}  {'NAME':<{name_width}}  {'EPOCH (UTC)':<20}  {'AGE_D':>7}  {'STALE':<5}  SOURCE")
    for row in rows:
        print(
            f"{row.elements.norad_id:>7}  {row.elements.name:<{name_width}}  {_iso(row.elements.epoch):<20}  "
            f"{row.age_days:>7.2f}  {'stale' if row.stale else '':<5}  {row.source}"
        )


def _walker(args: argparse.Namespace) -> int:
    epoch = _parse_time(args.epoch, "--epoch") if args.epoch else SystemClock().now().replace(microsecond=0)
    try:
        elements = walker_delta(
            args.total,
            args.planes,
            args.phasing,
            args.altitude_km,
            args.inclination_deg,
            epoch,
            first_norad_id=args.first_norad_id,
            name_prefix=args.name_prefix,
        )
        text = format_elements(elements, args.format)
    except ValueError as exc:
        raise InputError(f"walker: {exc}") from None
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            args.output.write_text(text)
        except OSError as exc:
            raise InputError(f"--output {args.output}: {exc.strerror}") from None
        print(f"groundstation: wrote {len(elements)} element sets to {args.output}", file=sys.stderr)
    return 0
