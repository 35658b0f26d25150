"""`groundstation track`: follow one satellite in real time with a rotator and a transceiver."""

from __future__ import annotations

import argparse
import math
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from groundstation.clock import SystemClock
from groundstation.errors import InputError

ELEMENTS_WARN_AGE_DAYS = 14.0
# The loop re-reads the clock at least this often while it waits.
MAX_SLEEP_S = 30.0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "track",
        help="track a satellite in real time: rotator pointing and Doppler tuning",
        description="Track one satellite from now on, pass after pass: before AOS the rotator is "
        "pre-positioned and the loop waits; during the pass the rotator follows (leading by its slew "
        "lag) and the rig is retuned for Doppler; after LOS the rotator is parked. Every command sent "
        "is printed. Stops at --duration or on Ctrl-C, parking the rotator.",
    )
    parser.add_argument("--elements", required=True, type=Path, metavar="FILE", help="TLE/3LE/OMM file")
    parser.add_argument("--satellite", required=True, type=_catalog_number, metavar="CATALOG_NUMBER")
    parser.add_argument(
        "--station",
        required=True,
        metavar="NAME=LAT,LON[,ALT_M]",
        help="the ground station (WGS84 degrees, metres above the ellipsoid)",
    )
    parser.add_argument(
        "--rotator",
        metavar="URI",
        help="rotctld://HOST:PORT | gs232:/dev/ttyUSB0[@BAUD] | easycomm:/dev/ttyUSB0[@BAUD]",
    )
    parser.add_argument(
        "--rig", metavar="URI", help="rigctld://HOST:PORT (needs --downlink-hz or --uplink-hz)"
    )
    parser.add_argument("--downlink-hz", type=float, metavar="F", help="the satellite's downlink frequency")
    parser.add_argument("--uplink-hz", type=float, metavar="F", help="the frequency the satellite listens on")
    parser.add_argument(
        "--duration", type=float, metavar="SECONDS", help="stop after this long (default: never)"
    )
    parser.set_defaults(handler=run)


def _catalog_number(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"not a catalog number: {text!r}")
    return int(text)


def _frequency(value: float | None, option: str) -> float | None:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise InputError(f"{option}: {value!r} is not a frequency in Hz (must be > 0)")
    return value


def _print(line: str) -> None:
    print(line, flush=True)


def run(args: argparse.Namespace) -> int:
    from groundstation.cli.passes import load_elements, parse_station
    from groundstation.station.devices import rotator_limits
    from groundstation.station.doppler import DisplaySink, FrequencyPlan, FrequencySink, RigSink
    from groundstation.station.session import TrackingSession
    from radios.errors import DeviceConfigError, DeviceError
    from radios.registry import open_rig, open_rotator, parse_device_uri
    from radios.rotator import RotatorLimits

    location = parse_station(args.station)
    downlink_hz = _frequency(args.downlink_hz, "--downlink-hz")
    uplink_hz = _frequency(args.uplink_hz, "--uplink-hz")
    if args.duration is not None and not (math.isfinite(args.duration) and args.duration > 0):
        raise InputError(f"--duration: {args.duration!r} must be a number of seconds > 0")
    if args.rig is not None and downlink_hz is None and uplink_hz is None:
        raise InputError("--rig: give --downlink-hz and/or --uplink-hz to tune it")
    for option, uri, kind in (("--rotator", args.rotator, "rotator"), ("--rig", args.rig, "rig")):
        if uri is not None:
            try:
                parse_device_uri(uri, kind=kind)
            except DeviceConfigError as exc:
                raise InputError(f"{option}: {exc}") from None
    matching = [e for e in load_elements([args.elements]) if e.norad_id == args.satellite]
    if not matching:
        raise InputError(f"{args.elements}: no element set for catalog number {args.satellite}")
    elements = matching[0]

    clock = SystemClock()
    started = clock.now()
    age_days = elements.age_days(started)
    _print(
        f"tracking {elements.norad_id} {elements.name} from {location.name} "
        f"({location.latitude_deg:.4f}°, {location.longitude_deg:.4f}°, {location.altitude_m:.0f} m); "
        f"elements epoch {elements.epoch:%Y-%m-%d %H:%M} UTC ({age_days:.1f} days)"
    )
    if abs(age_days) > ELEMENTS_WARN_AGE_DAYS:
        _print(f"warning: the elements are {abs(age_days):.0f} days from now: pointing may be off")

    try:
        limits = rotator_limits(args.rotator) if args.rotator else RotatorLimits()
    except DeviceConfigError as exc:
        raise InputError(f"--rotator: {exc}") from None
    except DeviceError as exc:
        print(f"groundstation: error: {exc}", file=sys.stderr)
        return 1
    rotator = open_rotator(args.rotator, limits) if args.rotator else None
    if rotator is not None:
        _print(
            f"rotator {rotator.name}: azimuth {limits.azimuth_min_deg:g}..{limits.azimuth_max_deg:g}°, "
            f"elevation {limits.elevation_min_deg:g}..{limits.elevation_max_deg:g}°, "
            f"park {limits.park_azimuth_deg:g}/{limits.park_elevation_deg:g}°"
        )
    frequencies = FrequencyPlan(downlink_hz, uplink_hz) if downlink_hz or uplink_hz else None
    sink: FrequencySink | None = None
    if frequencies is not None:
        sink = RigSink(open_rig(args.rig)) if args.rig else DisplaySink()
        links = f"downlink {downlink_hz or '-'} Hz, uplink {uplink_hz or '-'} Hz"
        _print(f"radio {sink.name}: {links} (at the satellite)")

    def sleep(seconds: float) -> None:
        time.sleep(max(0.0, min(seconds, MAX_SLEEP_S)))

    session = TrackingSession(
        elements,
        location,
        clock=clock,
        sleep=sleep,
        out=_print,
        limits=limits,
        rotator=rotator,
        sink=sink,
        frequencies=frequencies,
    )
    until = started + timedelta(seconds=args.duration) if args.duration is not None else None
    try:
        session.run(until)
        _print("stopped: --duration reached" if until is not None else "stopped")
    except ValueError as exc:  # elements SGP4 cannot use (decayed, damaged)
        session.park()
        raise InputError(f"{args.elements}: {exc}") from None
    except KeyboardInterrupt:
        _print("interrupted: parking the rotator")
        session.park()
    finally:
        if rotator is not None:
            rotator.close()
        if isinstance(sink, RigSink):
            sink.rig.close()
    return 0
