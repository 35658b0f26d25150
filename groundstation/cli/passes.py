"""`groundstation passes`: AOS, TCA and LOS of satellites over ground stations, as a table, CSV or JSON."""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from groundstation.clock import SystemClock
from groundstation.errors import InputError
from tracking.element_io import ElementsFileError, latest_per_object, read_elements, stale_elements
from tracking.elements import Elements
from tracking.geometry import GroundLocation
from tracking.passes import Pass, PassSearchResult, find_passes

FORMATS = ("table", "csv", "json")
MAX_REJECTIONS_SHOWN = 20
STALE_AFTER_DAYS = 7.0
# The contract's keys first, then the extras.
JSON_KEYS = (
    "norad_id", "name", "station", "aos", "tca", "los", "max_elevation_deg", "aos_azimuth_deg",
    "los_azimuth_deg", "tca_azimuth_deg", "duration_s", "starts_before_window", "ends_after_window",
)  # fmt: skip
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "passes",
        help="predict passes (AOS, TCA, LOS) of satellites over ground stations",
        description="Predict every pass of the satellites in the element files over the stations: AOS "
        "and LOS at the horizon angle, TCA at the highest elevation. A pass already up at --start "
        "begins there and one still up at the end of the window ends there, flagged "
        "(starts_before_window / ends_after_window).",
    )
    parser.add_argument(
        "--elements",
        action="append",
        required=True,
        type=Path,
        metavar="FILE",
        help="TLE, 3LE or OMM (CSV/JSON/XML) file; repeatable (newest epoch wins)",
    )
    parser.add_argument(
        "--station",
        action="append",
        required=True,
        metavar="NAME=LAT_DEG,LON_DEG[,ALT_M]",
        help="ground station (WGS84 degrees, metres above the ellipsoid); repeatable",
    )
    parser.add_argument("--start", metavar="ISO8601", help="window start (default: now, UTC)")
    parser.add_argument("--hours", type=float, default=24.0, help="window length (default: 24)")
    parser.add_argument("--horizon-deg", type=float, default=0.0, help="elevation of AOS/LOS (default: 0)")
    parser.add_argument(
        "--min-elevation-deg", type=float, default=0.0, help="drop passes culminating lower (default: 0)"
    )
    parser.add_argument(
        "--satellite",
        action="extend",
        nargs="+",
        type=_catalog_number,
        default=[],
        metavar="CATALOG_NUMBER",
        help="only these catalog numbers",
    )
    parser.add_argument("--format", choices=FORMATS, default="table")
    parser.add_argument("--output", type=Path, metavar="FILE", help="write here instead of stdout")
    parser.set_defaults(handler=run)


def _catalog_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a catalog number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"not a catalog number: {text!r}")
    return value


def parse_station(spec: str) -> GroundLocation:
    """`NAME=LAT_DEG,LON_DEG[,ALT_M]` as a GroundLocation; InputError naming the option otherwise."""
    name, sep, rest = spec.partition("=")
    fields = rest.split(",")
    if not sep or not name.strip() or len(fields) not in (2, 3):
        raise InputError(f"--station {spec!r}: expected NAME=LAT_DEG,LON_DEG[,ALT_M]")
    try:
        numbers = [float(field) for field in fields]
    except ValueError:
        raise InputError(f"--station {spec!r}: latitude, longitude and altitude must be numbers") from None
    try:
        return GroundLocation(name.strip(), *numbers)
    except ValueError as exc:
        raise InputError(f"--station {spec!r}: {exc}") from None


def parse_time(text: str, option: str) -> datetime:
    """ISO 8601; no offset means UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option}: not an ISO 8601 time: {text!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso_utc_ms(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a Z: 2026-08-22T18:00:00.000Z (rounded to the millisecond)."""
    milliseconds = round((moment - _EPOCH) / timedelta(milliseconds=1))
    rounded = _EPOCH + timedelta(milliseconds=milliseconds)
    return rounded.strftime("%Y-%m-%dT%H:%M:%S.") + f"{rounded.microsecond // 1000:03d}Z"


def load_elements(paths: Sequence[Path]) -> tuple[Elements, ...]:
    """Every file's elements (rejected entries reported on stderr), newest epoch per catalog number."""
    loaded: list[Elements] = []
    for path in paths:
        try:
            result = read_elements(path)
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
        except ElementsFileError as exc:
            raise InputError(str(exc)) from None
        for rejection in result.rejected[:MAX_REJECTIONS_SHOWN]:
            print(f"groundstation: rejected: {rejection}", file=sys.stderr)
        if result.rejected:
            print(
                f"groundstation: {path}: {len(result.rejected)} entries rejected, "
                f"{len(result.elements)} loaded",
                file=sys.stderr,
            )
        loaded.extend(result.elements)
    return latest_per_object(loaded)


def run(args: argparse.Namespace) -> int:
    stations = [parse_station(spec) for spec in args.station]
    names = [station.name for station in stations]
    duplicate = next((name for name in names if names.count(name) > 1), None)
    if duplicate is not None:
        raise InputError(f"--station: the name {duplicate!r} is used twice")
    start = parse_time(args.start, "--start") if args.start else SystemClock().now()
    if not (math.isfinite(args.hours) and 0.0 < args.hours <= 24.0 * 366):
        raise InputError(f"--hours: must be > 0 and at most a year, got {args.hours}")
    if not (math.isfinite(args.horizon_deg) and -90.0 < args.horizon_deg < 90.0):
        raise InputError(f"--horizon-deg: must be within (-90, 90), got {args.horizon_deg}")
    if not (math.isfinite(args.min_elevation_deg) and -90.0 <= args.min_elevation_deg <= 90.0):
        raise InputError(f"--min-elevation-deg: must be within [-90, 90], got {args.min_elevation_deg}")
    elements = load_elements(args.elements)
    if args.satellite:
        wanted = set(args.satellite)
        missing = sorted(wanted - {element.norad_id for element in elements})
        if missing:
            raise InputError(f"--satellite: not in the element files: {', '.join(map(str, missing))}")
        elements = tuple(element for element in elements if element.norad_id in wanted)
    stale = stale_elements(elements, start, STALE_AFTER_DAYS)
    if stale:
        oldest = max(element.age_days(start) for element in stale)
        print(
            f"groundstation: warning: {len(stale)} of {len(elements)} element sets are older than "
            f"{STALE_AFTER_DAYS:g} days at {iso_utc_ms(start)} (oldest {oldest:.0f} days): "
            "predictions degrade with age",
            file=sys.stderr,
        )
    result = find_passes(
        elements,
        stations,
        start,
        start + timedelta(hours=args.hours),
        horizon_deg=args.horizon_deg,
        min_elevation_deg=args.min_elevation_deg,
    )
    report_errors(result)
    text = format_passes(result.passes, args.format)
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            args.output.write_text(text)
        except OSError as exc:
            raise InputError(f"--output {args.output}: cannot write: {exc.strerror or exc}") from None
    return 0


def report_errors(result: PassSearchResult) -> None:
    for error in result.errors:
        print(f"groundstation: warning: {error}; no passes after that", file=sys.stderr)


def pass_record(p: Pass) -> dict[str, object]:
    return {
        "norad_id": p.norad_id,
        "name": p.name,
        "station": p.station,
        "aos": iso_utc_ms(p.aos),
        "tca": iso_utc_ms(p.tca),
        "los": iso_utc_ms(p.los),
        "max_elevation_deg": round(p.max_elevation_deg, 3),
        "aos_azimuth_deg": round(p.aos_azimuth_deg, 3),
        "los_azimuth_deg": round(p.los_azimuth_deg, 3),
        "tca_azimuth_deg": round(p.tca_azimuth_deg, 3),
        "duration_s": round(p.duration_s, 3),
        "starts_before_window": p.starts_before_window,
        "ends_after_window": p.ends_after_window,
    }


def format_passes(passes: Sequence[Pass], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([pass_record(p) for p in passes], indent=1) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=JSON_KEYS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(pass_record(p) for p in passes)
        return out.getvalue()
    return format_table(passes)


def format_table(passes: Sequence[Pass]) -> str:
    if not passes:
        return "no passes\n"
    header = ("AOS (UTC)", "LOS (UTC)", "min", "max el", "AOS az", "LOS az", "station", "norad", "name")
    rows = [header]
    for p in passes:
        rows.append((
            iso_utc_ms(p.aos)[:19].replace("T", " ") + ("<" if p.starts_before_window else " "),
            iso_utc_ms(p.los)[:19].replace("T", " ") + (">" if p.ends_after_window else " "),
            f"{p.duration_s / 60.0:.1f}",
            f"{p.max_elevation_deg:.1f}",
            f"{p.aos_azimuth_deg:.0f}",
            f"{p.los_azimuth_deg:.0f}",
            p.station,
            str(p.norad_id),
            p.name,
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    if any(p.starts_before_window or p.ends_after_window for p in passes):
        lines.append("< already up at the window start, > still up at its end")
    return "\n".join(lines) + "\n"
