"""`groundstation demo`: the upcoming passes of the built-in demo constellation over the demo stations."""

from __future__ import annotations

import argparse
import math
import sys
from datetime import timedelta
from typing import Any

from groundstation.cli.passes import format_table, iso_utc_ms, parse_time, report_errors
from groundstation.clock import SystemClock
from groundstation.demo import (
    DEMO_ALTITUDE_KM,
    DEMO_INCLINATION_DEG,
    DEMO_PHASING,
    DEMO_PLANES,
    DEMO_STATIONS,
    DEMO_TOTAL,
    demo_constellation,
    demo_epoch,
)
from groundstation.errors import InputError
from tracking.passes import find_passes

DEFAULT_HOURS = 3.0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="upcoming passes of the built-in demo constellation over the demo stations",
        description="The built-in demo, no hardware or downloads needed: a Walker-delta constellation "
        f"{DEMO_INCLINATION_DEG:g}°:{DEMO_TOTAL}/{DEMO_PLANES}/{DEMO_PHASING} at {DEMO_ALTITUDE_KM:g} km "
        f"and {len(DEMO_STATIONS)} ground stations worldwide; prints their passes.",
    )
    parser.add_argument("--start", metavar="ISO8601", help="window start (default: now, UTC)")
    parser.add_argument(
        "--hours", type=float, default=DEFAULT_HOURS, help=f"window length (default: {DEFAULT_HOURS:g})"
    )
    parser.add_argument(
        "--min-elevation-deg",
        type=float,
        default=10.0,
        help="only passes culminating at least this high (default: 10)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    start = parse_time(args.start, "--start") if args.start else SystemClock().now()
    if not (math.isfinite(args.hours) and 0.0 < args.hours <= 24.0 * 31):
        raise InputError(f"--hours: must be > 0 and at most a month, got {args.hours}")
    if not (math.isfinite(args.min_elevation_deg) and -90.0 <= args.min_elevation_deg <= 90.0):
        raise InputError(f"--min-elevation-deg: must be within [-90, 90], got {args.min_elevation_deg}")
    end = start + timedelta(hours=args.hours)
    epoch = demo_epoch(start)
    nodes = demo_constellation(epoch)
    result = find_passes(nodes, DEMO_STATIONS, start, end, min_elevation_deg=args.min_elevation_deg)
    report_errors(result)
    print(
        f"Demo constellation: {len(nodes)} nodes, Walker delta {DEMO_INCLINATION_DEG:g}°:"
        f"{DEMO_TOTAL}/{DEMO_PLANES}/{DEMO_PHASING} at {DEMO_ALTITUDE_KM:g} km (epoch {iso_utc_ms(epoch)})"
    )
    print("Stations: " + ", ".join(station.name for station in DEMO_STATIONS))
    print(
        f"Passes from {iso_utc_ms(start)} to {iso_utc_ms(end)} culminating at least "
        f"{args.min_elevation_deg:g}°: {len(result.passes)}\n"
    )
    sys.stdout.write(format_table(result.passes))
    return 0
