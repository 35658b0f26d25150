"""`groundstation track`: follow one satellite in real time with a rotator and a transceiver."""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from groundstation.clock import Clock, SimulatedClock, SystemClock
from groundstation.errors import InputError
from groundstation.station.doppler import DEFAULT_DOPPLER_INTERVAL_S, DEFAULT_DOPPLER_THRESHOLD_HZ
from groundstation.station.tracker import (
    DEFAULT_MAX_LEAD_S,
    DEFAULT_POINTING_TOLERANCE_DEG,
    DEFAULT_ROTATOR_INTERVAL_S,
    PREPOSITION_MARGIN_S,
)

if TYPE_CHECKING:
    from groundstation.app_settings import AppSettings, RadioSettings, RotatorSettings, SatelliteSettings
    from groundstation.station.doppler import DopplerSettings, FrequencyPlan
    from groundstation.station.tracker import TrackerSettings
    from radios.rotator import RotatorLimits
    from tracking.elements import Elements
    from tracking.geometry import GroundLocation, HorizonMask

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
    parser.add_argument(
        "--settings",
        type=Path,
        metavar="FILE",
        help="the app's settings.toml (default: the app's own, when it exists): a --station NAME "
        "without coordinates is looked up there with its rotator (limits included), hamlib radio "
        "(its frequencies when the satellite has none) and horizon (minimum elevation and mask: AOS/LOS); "
        "a [[satellites]] entry with this catalog number gives frequencies, offsets, mode and "
        "transponder. Options given here override it.",
    )
    parser.add_argument(
        "--plan",
        "--dry-run",
        action="store_true",
        help="print the pointing plan of the next pass (every pass within --duration) and exit: "
        "path, wrap, flip, pre-positioning, park, and whether the rotator can follow; no device "
        "is contacted (rotator limits come from the options/settings, else 0..360°, 0..90°, 6°/s)",
    )
    parser.add_argument(
        "--start",
        metavar="ISO8601",
        help="simulated time: start at this UTC time instead of now (with --plan: plan from then)",
    )
    parser.add_argument(
        "--speed",
        type=float,
        metavar="X",
        help="with --start: run simulated time X times real time (default 1; 0: as fast as possible)",
    )
    radio = parser.add_argument_group("radio (Doppler)")
    radio.add_argument(
        "--downlink-offset-hz",
        type=float,
        metavar="HZ",
        help="calibration: the satellite's transmitter is this far off",
    )
    radio.add_argument(
        "--uplink-offset-hz",
        type=float,
        metavar="HZ",
        help="calibration: the satellite's receiver is this far off",
    )
    radio.add_argument(
        "--mode", metavar="MODE", help="receiver mode set on the rig once (FM, USB, LSB, CW, ...)"
    )
    radio.add_argument(
        "--transponder",
        choices=("inverting", "non-inverting"),
        help="a linear transponder: --downlink-hz is the position in its passband (default: the "
        "middle), the uplink follows it, mirrored when inverting",
    )
    radio.add_argument(
        "--transponder-downlink", metavar="LOW_HZ:HIGH_HZ", help="the transponder's downlink passband"
    )
    radio.add_argument(
        "--transponder-uplink", metavar="LOW_HZ:HIGH_HZ", help="the transponder's uplink passband"
    )
    radio.add_argument(
        "--doppler-interval-s",
        type=float,
        metavar="S",
        help=f"how often Doppler is checked (default {DEFAULT_DOPPLER_INTERVAL_S:g})",
    )
    radio.add_argument(
        "--doppler-threshold-hz",
        type=float,
        metavar="HZ",
        help="resend a frequency only when it drifted this far (CAT threshold, default "
        f"{DEFAULT_DOPPLER_THRESHOLD_HZ:g})",
    )
    radio.add_argument(
        "--follow-dial",
        action="store_true",
        help="keep the passband position the operator tunes to on the rig (the uplink follows)",
    )
    rotator = parser.add_argument_group("rotator")
    rotator.add_argument(
        "--azimuth-range",
        metavar="MIN:MAX",
        help="azimuth end stops in degrees, 360..720 apart: the overlap "
        "(e.g. 0:450, --azimuth-range=-180:540)",
    )
    rotator.add_argument(
        "--elevation-range", metavar="MIN:MAX", help="elevation range in degrees (0:180 allows flip mode)"
    )
    rotator.add_argument("--slew-deg-s", type=float, metavar="DEG_S", help="slew rate of both axes")
    rotator.add_argument("--azimuth-slew-deg-s", type=float, metavar="DEG_S", help="azimuth slew rate")
    rotator.add_argument("--elevation-slew-deg-s", type=float, metavar="DEG_S", help="elevation slew rate")
    rotator.add_argument("--park", metavar="AZ,EL", help="park position in degrees")
    rotator.add_argument(
        "--tolerance-deg",
        type=float,
        metavar="DEG",
        help="pointing tolerance: move step, and the error that flags a pass (default "
        f"{DEFAULT_POINTING_TOLERANCE_DEG:g})",
    )
    rotator.add_argument(
        "--rotator-interval-s",
        type=float,
        metavar="S",
        help=f"how often the rotator is polled (default {DEFAULT_ROTATOR_INTERVAL_S:g})",
    )
    rotator.add_argument(
        "--max-lead-s",
        type=float,
        metavar="S",
        help=f"the most the rotator is sent ahead of the satellite (default {DEFAULT_MAX_LEAD_S:g})",
    )
    rotator.add_argument(
        "--preposition-s",
        type=float,
        metavar="S",
        help=f"pre-position this long before AOS plus the slew (default {PREPOSITION_MARGIN_S:g})",
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


def _positive(value: float | None, option: str, *, zero: bool = False) -> float | None:
    if value is not None and not (math.isfinite(value) and (value >= 0 if zero else value > 0)):
        raise InputError(f"{option}: {value!r} must be a number {'>= 0' if zero else '> 0'}")
    return value


def _finite(value: float | None, option: str) -> float | None:
    if value is not None and not math.isfinite(value):
        raise InputError(f"{option}: {value!r} must be a finite number")
    return value


def _pair(text: str | None, option: str, separator: str, what: str) -> tuple[float, float] | None:
    if text is None:
        return None
    parts = text.split(separator)
    try:
        first, second = (float(part) for part in parts)
    except ValueError:
        raise InputError(f"{option}: expected {what}, got {text!r}") from None
    if not (math.isfinite(first) and math.isfinite(second)):
        raise InputError(f"{option}: expected {what} (finite numbers), got {text!r}")
    return first, second


def _print(line: str) -> None:
    print(line, flush=True)


@dataclass(frozen=True)
class _Setup:
    """What the options and the settings file say, resolved (CLI over settings)."""

    location: GroundLocation
    horizon_deg: float  # a station from the settings: its minimum elevation and horizon mask
    horizon_mask: HorizonMask | None
    rotator_uri: str | None
    rig_uri: str | None
    rotator_settings: RotatorSettings | None
    frequencies: FrequencyPlan | None
    mode: str | None
    doppler: DopplerSettings
    tracker: TrackerSettings


def _load_app_settings(args: argparse.Namespace) -> tuple[AppSettings | None, str]:
    from groundstation.app_settings import parse_settings, settings_path

    path = args.settings if args.settings is not None else settings_path()
    if args.settings is None and not path.exists():
        return None, str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--settings: {path}: {exc.strerror or exc}") from None
    return parse_settings(text, str(path)), str(path)


@dataclass(frozen=True)
class _Station:
    location: GroundLocation
    horizon_deg: float = 0.0
    horizon_mask: HorizonMask | None = None
    rotator: RotatorSettings | None = None
    rig_uri: str | None = None
    radio: RadioSettings | None = None


def _station(args: argparse.Namespace, settings: AppSettings | None, source: str) -> _Station:
    """The location, and the station's horizon, rotator, rig and radio from the settings file."""
    from groundstation.cli.passes import parse_station
    from groundstation.sky_plot import station_location, station_mask
    from groundstation.station.configured import rig_uri, station_radio, station_rotator

    if "=" in args.station:
        return _Station(parse_station(args.station))
    name = args.station.strip()
    if settings is None:
        raise InputError(f"--station: {name!r}: no settings file ({source}); give NAME=LAT,LON[,ALT_M]")
    try:
        station = settings.station(name)
    except KeyError:
        known = ", ".join(s.name for s in settings.stations) or "none"
        raise InputError(f"--station: no station named {name!r} in {source} (known: {known})") from None
    radio = station_radio(settings, station)
    return _Station(
        station_location(station),
        station.min_elevation_deg,
        station_mask(station),
        station_rotator(settings, station),
        rig_uri(radio),
        radio,
    )


_PLAN_OPTIONS = {
    "downlink_hz": "--downlink-hz",
    "uplink_hz": "--uplink-hz",
    "downlink_offset_hz": "--downlink-offset-hz",
    "uplink_offset_hz": "--uplink-offset-hz",
    "mode": "--mode",
    "transponder": "--transponder",
    "transponder_downlink_low_hz": "--transponder-downlink",
    "transponder_downlink_high_hz": "--transponder-downlink",
    "transponder_uplink_low_hz": "--transponder-uplink",
    "transponder_uplink_high_hz": "--transponder-uplink",
}


def _radio_settings(
    args: argparse.Namespace, settings: AppSettings | None, radio: RadioSettings | None
) -> SatelliteSettings:
    """The satellite's entry in the settings file (or the station radio's frequencies) with the
    frequency options on top."""
    from groundstation.station.configured import satellite_radio

    base = satellite_radio(settings, args.satellite, radio)
    changes: dict[str, Any] = {}
    downlink_hz = _frequency(args.downlink_hz, "--downlink-hz")
    uplink_hz = _frequency(args.uplink_hz, "--uplink-hz")
    if downlink_hz is not None:
        changes["downlink_hz"] = downlink_hz
    if uplink_hz is not None:
        changes["uplink_hz"] = uplink_hz
    for option, field_name in (
        ("--downlink-offset-hz", "downlink_offset_hz"),
        ("--uplink-offset-hz", "uplink_offset_hz"),
    ):
        value = _finite(getattr(args, field_name), option)
        if value is not None:
            changes[field_name] = value
    if args.mode is not None:
        changes["mode"] = args.mode.upper()
    if args.transponder is not None:
        changes["transponder"] = args.transponder
    for option, text, prefix in (
        ("--transponder-downlink", args.transponder_downlink, "transponder_downlink"),
        ("--transponder-uplink", args.transponder_uplink, "transponder_uplink"),
    ):
        band = _pair(text, option, ":", "LOW_HZ:HIGH_HZ")
        if band is not None:
            if not (0 < band[0] < band[1]):
                raise InputError(f"{option}: need 0 < LOW_HZ < HIGH_HZ, got {text!r}")
            changes[f"{prefix}_low_hz"], changes[f"{prefix}_high_hz"] = band
    transponder = changes.get("transponder", base.transponder)
    edges = ("transponder_downlink_low_hz", "transponder_uplink_low_hz")
    if transponder and any(changes.get(key, getattr(base, key)) is None for key in edges):
        raise InputError(
            "--transponder: needs --transponder-downlink and --transponder-uplink (LOW_HZ:HIGH_HZ)"
        )
    if not transponder and any(key in changes for key in edges):
        raise InputError("--transponder-downlink: needs --transponder inverting|non-inverting")
    if transponder and "downlink_hz" in changes and "uplink_hz" not in changes:
        changes["uplink_hz"] = None  # the uplink follows the new passband position
    for name, option in (("downlink", "--downlink-offset-hz"), ("uplink", "--uplink-offset-hz")):
        frequency_hz = changes.get(f"{name}_hz", getattr(base, f"{name}_hz"))
        if f"{name}_offset_hz" in changes and not transponder and frequency_hz is None:
            raise InputError(f"{option}: needs --{name}-hz (an offset of which frequency?)")
    try:
        return replace(base, **changes)
    except ValueError as exc:  # the settings module's field errors name the field first
        key, _, message = str(exc).partition(": ")
        option = _PLAN_OPTIONS.get(key, "--satellite")
        raise InputError(f"{option}: {message or exc}") from None


def _limits_base(args: argparse.Namespace, uri: str | None) -> RotatorLimits:
    """The rotator's own limits: asked (rotctld) or assumed; `--plan` asks no device."""
    from groundstation.station.devices import rotator_limits
    from radios.errors import DeviceConfigError
    from radios.rotator import RotatorLimits

    if uri is None or args.plan or uri.startswith("sim:"):
        return RotatorLimits()
    try:
        return rotator_limits(uri)
    except DeviceConfigError as exc:
        raise InputError(f"--rotator: {exc}") from None


def _limits(
    args: argparse.Namespace, base: RotatorLimits, configured: RotatorSettings | None
) -> RotatorLimits:
    from groundstation.station.configured import configured_limits
    from groundstation.station.devices import rotator_limits_over
    from radios.errors import DeviceConfigError

    limits = configured_limits(base, configured)
    slew = _positive(args.slew_deg_s, "--slew-deg-s")
    azimuth_slew = _positive(args.azimuth_slew_deg_s, "--azimuth-slew-deg-s")
    elevation_slew = _positive(args.elevation_slew_deg_s, "--elevation-slew-deg-s")
    azimuth_range = _pair(args.azimuth_range, "--azimuth-range", ":", "MIN:MAX")
    elevation_range = _pair(args.elevation_range, "--elevation-range", ":", "MIN:MAX")
    park = _pair(args.park, "--park", ",", "AZ,EL")
    option = ""
    try:  # one option at a time, so an error names the option that broke the limits
        option = "--azimuth-range"
        limits = rotator_limits_over(limits, azimuth_range_deg=azimuth_range)
        option = "--elevation-range"
        limits = rotator_limits_over(limits, elevation_range_deg=elevation_range)
        option = "--park"
        limits = rotator_limits_over(limits, park=park)
    except DeviceConfigError as exc:
        raise InputError(f"{option}: {str(exc).removeprefix('rotator limits: ')}") from None
    return rotator_limits_over(
        limits,
        azimuth_slew_deg_s=azimuth_slew if azimuth_slew is not None else slew,
        elevation_slew_deg_s=elevation_slew if elevation_slew is not None else slew,
    )


def _setup(args: argparse.Namespace) -> _Setup:
    from groundstation.station.configured import configured_tracker
    from groundstation.station.doppler import DopplerSettings
    from groundstation.station.tracker import TrackerSettings
    from radios.rig import HAMLIB_MODES

    settings, source = _load_app_settings(args)
    station = _station(args, settings, source)
    rotator_settings, rig_uri = station.rotator, station.rig_uri
    rotator_uri = rotator_settings.uri if rotator_settings is not None else None
    if args.rotator is not None:  # another rotator: the station's configured limits are not its
        rotator_uri, rotator_settings = args.rotator, None
    if args.rig is not None:
        rig_uri = args.rig
    if args.mode is not None and args.mode.upper() not in HAMLIB_MODES:
        raise InputError(f"--mode: {args.mode!r} is not a Hamlib mode (FM, USB, LSB, CW, ...)")
    radio = _radio_settings(args, settings, station.radio)
    frequencies = radio.frequency_plan()
    if args.duration is not None and not (math.isfinite(args.duration) and args.duration > 0):
        raise InputError(f"--duration: {args.duration!r} must be a number of seconds > 0")
    if args.rig is not None and frequencies is None:
        raise InputError("--rig: give --downlink-hz and/or --uplink-hz to tune it")
    interval = _positive(args.doppler_interval_s, "--doppler-interval-s")
    threshold = _positive(args.doppler_threshold_hz, "--doppler-threshold-hz", zero=True)
    doppler = DopplerSettings(
        interval_s=DEFAULT_DOPPLER_INTERVAL_S if interval is None else interval,
        threshold_hz=DEFAULT_DOPPLER_THRESHOLD_HZ if threshold is None else threshold,
        follow_dial=args.follow_dial,
    )
    tolerance = _positive(args.tolerance_deg, "--tolerance-deg")
    configured = configured_tracker(rotator_settings)
    rotator_interval = _positive(args.rotator_interval_s, "--rotator-interval-s")
    max_lead = _positive(args.max_lead_s, "--max-lead-s")
    margin = _positive(args.preposition_s, "--preposition-s", zero=True)
    tracker = TrackerSettings(
        tolerance_deg=configured.tolerance_deg if tolerance is None else tolerance,
        rotator_interval_s=DEFAULT_ROTATOR_INTERVAL_S if rotator_interval is None else rotator_interval,
        max_lead_s=DEFAULT_MAX_LEAD_S if max_lead is None else max_lead,
        preposition_margin_s=PREPOSITION_MARGIN_S if margin is None else margin,
    )
    return _Setup(
        station.location,
        station.horizon_deg,
        station.horizon_mask,
        rotator_uri,
        rig_uri,
        rotator_settings,
        frequencies,
        radio.mode or None,
        doppler,
        tracker,
    )


def _clock(args: argparse.Namespace) -> tuple[Clock, Callable[[float], None]]:
    from groundstation.cli.passes import parse_time

    if args.start is None:
        if args.speed is not None:
            raise InputError("--speed: needs --start (simulated time)")

        def sleep(seconds: float) -> None:
            time.sleep(max(0.0, min(seconds, MAX_SLEEP_S)))

        return SystemClock(), sleep
    start = parse_time(args.start, "--start")
    speed = 1.0 if args.speed is None else args.speed
    if not (math.isfinite(speed) and speed >= 0):
        raise InputError(f"--speed: {speed!r} must be >= 0 (0: as fast as possible)")
    clock = SimulatedClock(start, speed=speed)
    if speed == 0:

        def step(seconds: float) -> None:
            clock.step(max(0.0, seconds))

        return clock, step

    def simulated_sleep(seconds: float) -> None:
        time.sleep(max(0.0, min(seconds / speed, MAX_SLEEP_S)))

    return clock, simulated_sleep


def run(args: argparse.Namespace) -> int:
    from groundstation.cli.passes import load_elements
    from groundstation.station.doppler import DisplaySink, FrequencySink, RigSink
    from groundstation.station.session import TrackingSession
    from radios.errors import DeviceConfigError, DeviceError
    from radios.registry import open_rig, open_rotator, parse_device_uri

    setup = _setup(args)
    clock, sleep = _clock(args)
    for option, uri, kind in (("--rotator", setup.rotator_uri, "rotator"), ("--rig", setup.rig_uri, "rig")):
        if uri is not None:
            try:
                parse_device_uri(uri, kind=kind)
            except DeviceConfigError as exc:
                raise InputError(f"{option}: {exc}") from None
    matching = [e for e in load_elements([args.elements]) if e.norad_id == args.satellite]
    if not matching:
        raise InputError(f"{args.elements}: no element set for catalog number {args.satellite}")
    elements = matching[0]
    location = setup.location

    started = clock.now()
    age_days = elements.age_days(started)
    _print(
        f"{'planning' if args.plan else 'tracking'} {elements.norad_id} {elements.name} from {location.name} "
        f"({location.latitude_deg:.4f}°, {location.longitude_deg:.4f}°, {location.altitude_m:.0f} m); "
        f"elements epoch {elements.epoch:%Y-%m-%d %H:%M} UTC ({age_days:.1f} days)"
    )
    if abs(age_days) > ELEMENTS_WARN_AGE_DAYS:
        _print(f"warning: the elements are {abs(age_days):.0f} days from now: pointing may be off")

    try:
        limits = _limits(args, _limits_base(args, setup.rotator_uri), setup.rotator_settings)
    except DeviceError as exc:
        print(f"groundstation: error: {exc}", file=sys.stderr)
        return 1
    name = setup.rotator_uri or "none (planning with the options' limits)"
    _print(
        f"rotator {name}: azimuth {limits.azimuth_min_deg:g}..{limits.azimuth_max_deg:g}°, "
        f"elevation {limits.elevation_min_deg:g}..{limits.elevation_max_deg:g}°, "
        f"slew {limits.azimuth_slew_deg_s:g}/{limits.elevation_slew_deg_s:g}°/s, "
        f"park {limits.park_azimuth_deg:g}/{limits.park_elevation_deg:g}°"
        if setup.rotator_uri or args.plan
        else "rotator: none"
    )
    frequencies = setup.frequencies
    if frequencies is not None:
        _print(f"radio plan: {_describe_frequencies(frequencies)}")
    if args.plan:
        return _print_plans(args, elements, location, limits, setup, started)

    rotator = open_rotator(setup.rotator_uri, limits) if setup.rotator_uri else None
    sink: FrequencySink | None = None
    if frequencies is not None:
        sink = RigSink(open_rig(setup.rig_uri)) if setup.rig_uri else DisplaySink()
        _print(
            f"radio {sink.name}: Doppler checked every {setup.doppler.interval_s:g} s, "
            f"resent past {setup.doppler.threshold_hz:g} Hz"
        )
        if setup.mode and isinstance(sink, RigSink):
            try:
                sink.rig.set_mode(setup.mode)
                _print(f"radio {sink.name}: mode {setup.mode}")
            except DeviceError as exc:
                _print(f"warning: could not set mode {setup.mode}: {exc}")

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
        doppler_settings=setup.doppler,
        tracker_settings=setup.tracker,
        horizon_deg=setup.horizon_deg,
        horizon_mask=setup.horizon_mask,
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


def _describe_frequencies(plan: FrequencyPlan) -> str:
    def hz(value: float | None, offset_hz: float) -> str:
        if value is None:
            return "-"
        return f"{value:.0f} Hz" + (f" (offset {offset_hz:+.0f} Hz)" if offset_hz else "")

    down = hz(plan.downlink_hz, plan.downlink_offset_hz)
    text = f"downlink {down}, uplink {hz(plan.uplink_hz, plan.uplink_offset_hz)} (at the satellite)"
    transponder = plan.transponder
    if transponder is not None:
        kind = "inverting" if transponder.inverting else "non-inverting"
        text += (
            f"; {kind} transponder {transponder.uplink_low_hz:.0f}..{transponder.uplink_high_hz:.0f} Hz up, "
            f"{transponder.downlink_low_hz:.0f}..{transponder.downlink_high_hz:.0f} Hz down"
        )
    return text


def _print_plans(
    args: argparse.Namespace,
    elements: Elements,
    location: GroundLocation,
    limits: RotatorLimits,
    setup: _Setup,
    start: datetime,
) -> int:
    """`--plan`: the pointing plan of the next pass, or of every pass within --duration."""
    from groundstation.station.passtrack import sky_track, upcoming_passes
    from groundstation.station.plan_report import plan_lines
    from groundstation.station.pointing import plan_pointing
    from groundstation.station.session import MAX_PLAN_SPAN, MIN_TRACK, SEARCH_AHEAD, pass_line

    end = start + (timedelta(seconds=args.duration) if args.duration is not None else SEARCH_AHEAD)
    try:
        found = [
            p
            for p in upcoming_passes(
                elements, location, start, end, horizon_deg=setup.horizon_deg, horizon_mask=setup.horizon_mask
            )
            if min(p.los, end) - max(p.aos, start) >= MIN_TRACK
        ]
    except ValueError as exc:
        raise InputError(f"{args.elements}: {exc}") from None
    if args.duration is None:
        found = found[:1]
    if not found:
        _print(
            f"no pass of {elements.name or elements.norad_id} over {location.name} "
            f"before {end:%Y-%m-%d %H:%M:%S} UTC"
        )
        return 0
    flagged = 0
    for one in found:
        track_start = max(one.aos, start)
        track = sky_track(elements, location, track_start, min(one.los, track_start + MAX_PLAN_SPAN, end))
        plan = plan_pointing(track, limits, tolerance_deg=setup.tracker.tolerance_deg)
        _print(pass_line(one))
        for line in plan_lines(plan, setup.tracker, now_s=start.timestamp()):
            _print(line)
        flagged += not plan.feasible
    _print(f"planned {len(found)} pass{'es' if len(found) != 1 else ''}, {flagged} the rotator cannot follow")
    return 0
