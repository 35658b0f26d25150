"""The desktop app's settings, Qt-free: stations, radios, rotators, satellites, element sources, keys.

Two TOML files in `groundstation.settings.config_dir()`:
- `settings.toml`, written by the operator (or by the app when they save from a settings view);
  loaded strictly: an unknown key, a wrong type or a dangling reference is a one-line `InputError`
  naming file:line and field, and the file is left untouched.
- `layout.toml`, the app's own state (window geometry and dock layout, theme, selected station and
  node), rewritten on every close so the operator's file keeps its comments.

No `settings.toml` means first start: the app opens on the built-in demo (`AppSettings.demo()`).
"""

from __future__ import annotations

import math
import re
import shutil
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

import tomli_w

from groundstation.demo import DEMO_STATIONS
from groundstation.errors import InputError
from groundstation.settings import config_dir
from groundstation.station.devices import rotator_limits_over
from groundstation.station.doppler import FrequencyPlan, LinearTransponder
from radios.errors import DeviceConfigError
from radios.rig import HAMLIB_MODES
from radios.rotator import RotatorLimits

SETTINGS_FILE = "settings.toml"
LAYOUT_FILE = "layout.toml"
SETTINGS_VERSION = 1

RADIO_DRIVERS = ("loopback", "soapy", "hamlib")
ROTATOR_DRIVERS = ("simulated", "rotctld", "gs232", "easycomm")
THEMES = ("dark", "light")
TRANSPONDERS = ("", "inverting", "non-inverting")
DEMO_MIN_ELEVATION_DEG = 0.0  # as `groundstation demo` finds passes
DEMO_MASK = ((0.0, 2.0), (70.0, 7.0), (130.0, 3.0), (200.0, 9.0), (290.0, 4.0))
# A station's ranges, here once for the checks below and for the settings dialog's hints.
LATITUDE_RANGE_DEG = (-90.0, 90.0)
LONGITUDE_RANGE_DEG = (-180.0, 180.0)
ALTITUDE_RANGE_M = (-500.0, 9000.0)
MIN_ELEVATION_RANGE_DEG = (-5.0, 90.0)  # the top excluded
ANTENNAS_RANGE = (1, 16)


@dataclass(frozen=True)
class StationSettings:
    name: str
    latitude_deg: float
    longitude_deg: float
    altitude_m: float = 0.0
    min_elevation_deg: float = 0.0
    rotator: str = ""  # name of a [[rotators]] entry, "" for none
    radio: str = ""  # name of a [[radios]] entry, "" for none
    # What hides the sky (buildings, hills): [azimuth_deg, elevation_deg] points, interpolated
    # around the circle; () for a clear horizon.
    horizon_mask: tuple[tuple[float, float], ...] = ()
    antennas: int = 1  # contacts the station can work at once (the planner's capacity)

    def __post_init__(self) -> None:
        _require(bool(self.name.strip()), "name", "must not be empty")
        _within(self.latitude_deg, LATITUDE_RANGE_DEG, "latitude_deg")
        _within(self.longitude_deg, LONGITUDE_RANGE_DEG, "longitude_deg")
        _within(self.altitude_m, ALTITUDE_RANGE_M, "altitude_m")
        low, high = MIN_ELEVATION_RANGE_DEG
        _require(
            low <= self.min_elevation_deg < high, "min_elevation_deg", f"must be within [{low:g}, {high:g})"
        )
        azimuths = [az for az, _ in self.horizon_mask]
        _require(
            all(0.0 <= az < 360.0 for az in azimuths) and len(set(azimuths)) == len(azimuths),
            "horizon_mask",
            "azimuths must be distinct and within [0, 360)",
        )
        _require(
            all(0.0 <= el < 90.0 for _, el in self.horizon_mask),
            "horizon_mask",
            "elevations must be within [0, 90)",
        )
        _within(self.antennas, ANTENNAS_RANGE, "antennas")


@dataclass(frozen=True)
class RadioSettings:
    name: str
    driver: str  # one of RADIO_DRIVERS
    device: str = ""  # driver arguments, e.g. "driver=rtlsdr" for soapy, "127.0.0.1:4532" for hamlib
    uplink_hz: float = 0.0
    downlink_hz: float = 0.0

    def __post_init__(self) -> None:
        _require(bool(self.name.strip()), "name", "must not be empty")
        _require(self.driver in RADIO_DRIVERS, "driver", f"must be one of {', '.join(RADIO_DRIVERS)}")
        _require(self.uplink_hz >= 0.0, "uplink_hz", "must be >= 0")
        _require(self.downlink_hz >= 0.0, "downlink_hz", "must be >= 0")


@dataclass(frozen=True)
class RotatorSettings:
    name: str
    driver: str  # one of ROTATOR_DRIVERS
    address: str = ""  # "host:port" for rotctld, a serial device for gs232/easycomm

    # Limits (None: asked from rotctld, or assumed for a serial controller); see `limits_over`.
    azimuth_min_deg: float | None = None
    azimuth_max_deg: float | None = None
    elevation_min_deg: float | None = None
    elevation_max_deg: float | None = None
    azimuth_slew_deg_s: float | None = None
    elevation_slew_deg_s: float | None = None
    park_azimuth_deg: float | None = None
    park_elevation_deg: float | None = None
    tolerance_deg: float | None = None  # pointing error beyond which a pass is flagged

    def __post_init__(self) -> None:
        _require(bool(self.name.strip()), "name", "must not be empty")
        _require(self.driver in ROTATOR_DRIVERS, "driver", f"must be one of {', '.join(ROTATOR_DRIVERS)}")
        for low, high in (
            ("azimuth_min_deg", "azimuth_max_deg"),
            ("elevation_min_deg", "elevation_max_deg"),
            ("park_azimuth_deg", "park_elevation_deg"),
        ):
            present, missing = (low, high) if getattr(self, high) is None else (high, low)
            _require(
                (getattr(self, low) is None) == (getattr(self, high) is None),
                present,
                f"goes with {missing}: give both or neither",
            )
        for key in ("azimuth_slew_deg_s", "elevation_slew_deg_s", "tolerance_deg"):
            value = getattr(self, key)
            _require(value is None or value > 0, key, "must be > 0")
        if self.azimuth_min_deg is not None and self.azimuth_max_deg is not None:
            span_deg = self.azimuth_max_deg - self.azimuth_min_deg
            _require(360.0 <= span_deg <= 720.0, "azimuth_max_deg", "azimuth range must span 360..720°")
        if self.elevation_min_deg is not None and self.elevation_max_deg is not None:
            _require(
                0.0 <= self.elevation_min_deg < self.elevation_max_deg <= 180.0,
                "elevation_max_deg",
                "need 0 <= elevation_min_deg < elevation_max_deg <= 180",
            )
        try:
            self.limits_over(RotatorLimits())
        except DeviceConfigError as exc:
            raise FieldError("park_azimuth_deg", str(exc).removeprefix("rotator limits: ")) from None

    def limits_over(self, base: RotatorLimits) -> RotatorLimits:
        """`base` (what the device reports or is assumed to do) with the configured fields on top; a
        park position not configured is moved inside changed ranges."""
        return rotator_limits_over(
            base,
            azimuth_range_deg=_pair(self.azimuth_min_deg, self.azimuth_max_deg),
            elevation_range_deg=_pair(self.elevation_min_deg, self.elevation_max_deg),
            azimuth_slew_deg_s=self.azimuth_slew_deg_s,
            elevation_slew_deg_s=self.elevation_slew_deg_s,
            park=_pair(self.park_azimuth_deg, self.park_elevation_deg),
        )

    @property
    def uri(self) -> str:
        """The device URI `radios.registry.open_rotator` takes."""
        if self.driver == "simulated":
            return "sim:"
        if self.driver == "rotctld":
            return f"rotctld://{self.address}"
        return f"{self.driver}:{self.address}"


@dataclass(frozen=True)
class SatelliteSettings:
    """One satellite's radio: frequencies at the satellite, calibration, mode, linear transponder.

    `downlink_offset_hz` / `uplink_offset_hz`: how far its transmitter / receiver is off nominal (as
    measured). With a `transponder` ("inverting" or "non-inverting") the four passband edges are
    needed; `downlink_hz` is then the position in the passband (default its middle) and the uplink
    follows it.
    """

    norad_id: int
    name: str = ""
    downlink_hz: float | None = None
    uplink_hz: float | None = None
    downlink_offset_hz: float = 0.0
    uplink_offset_hz: float = 0.0
    mode: str = ""  # Hamlib mode of the receiver (FM, USB, ...), "" to leave the rig's
    transponder: str = ""  # "", "inverting" or "non-inverting"
    transponder_downlink_low_hz: float | None = None
    transponder_downlink_high_hz: float | None = None
    transponder_uplink_low_hz: float | None = None
    transponder_uplink_high_hz: float | None = None

    def __post_init__(self) -> None:
        _require(1 <= self.norad_id <= 999_999_999, "norad_id", "must be a catalog number >= 1")
        for key in ("downlink_hz", "uplink_hz", *_PASSBAND_FIELDS):
            value = getattr(self, key)
            _require(value is None or value > 0, key, "must be a frequency in Hz (> 0)")
        _require(self.mode == "" or self.mode in HAMLIB_MODES, "mode", "must be a Hamlib mode (FM, USB, ...)")
        _require(
            self.transponder in TRANSPONDERS,
            "transponder",
            f"must be one of {', '.join(map(repr, TRANSPONDERS))}",
        )
        given = [key for key in _PASSBAND_FIELDS if getattr(self, key) is not None]
        if self.transponder:
            missing = [key for key in _PASSBAND_FIELDS if key not in given]
            _require(not missing, "transponder", f"needs {', '.join(missing)}")
        else:
            _require(
                not given, given[0] if given else "", 'needs transponder = "inverting" or "non-inverting"'
            )
        try:
            self.frequency_plan()
        except ValueError as exc:
            key = "uplink_hz" if "uplink" in str(exc) and self.uplink_hz is not None else "downlink_hz"
            raise FieldError(key, str(exc)) from None

    def frequency_plan(self) -> FrequencyPlan | None:
        """The Doppler controller's plan (None without frequencies). ValueError if inconsistent."""
        transponder = self.linear_transponder()
        offsets: dict[str, Any] = {
            "downlink_offset_hz": self.downlink_offset_hz,
            "uplink_offset_hz": self.uplink_offset_hz,
        }
        if transponder is not None:
            downlink_hz = self.downlink_hz
            if downlink_hz is None:
                downlink_hz = (transponder.downlink_low_hz + transponder.downlink_high_hz) / 2
            if self.uplink_hz is not None:
                return FrequencyPlan(downlink_hz, self.uplink_hz, transponder, **offsets)
            return FrequencyPlan.on_transponder(transponder, downlink_hz, **offsets)
        if self.downlink_hz is None and self.uplink_hz is None:
            return None
        return FrequencyPlan(self.downlink_hz, self.uplink_hz, **offsets)

    def linear_transponder(self) -> LinearTransponder | None:
        if not self.transponder:
            return None
        edges = [getattr(self, key) for key in _PASSBAND_FIELDS]
        assert all(edge is not None for edge in edges)
        down_low, down_high, up_low, up_high = edges
        return LinearTransponder(
            up_low, up_high, down_low, down_high, inverting=self.transponder == "inverting"
        )


_PASSBAND_FIELDS = (
    "transponder_downlink_low_hz",
    "transponder_downlink_high_hz",
    "transponder_uplink_low_hz",
    "transponder_uplink_high_hz",
)


@dataclass(frozen=True)
class KeySettings:
    name: str
    path: str  # an operator's signing key file (never the passphrase)

    def __post_init__(self) -> None:
        _require(bool(self.name.strip()), "name", "must not be empty")
        _require(bool(self.path), "path", "must not be empty")


@dataclass(frozen=True)
class AppSettings:
    """Element sets come from the demo constellation (`show_demo`), local files (`element_files`, any
    format `tracking.element_io` reads) and the cached network sources of `sources.toml` (the
    `groundstation elements` command's file, beside this one)."""

    show_demo: bool = False
    element_files: tuple[str, ...] = ()
    stations: tuple[StationSettings, ...] = ()
    radios: tuple[RadioSettings, ...] = ()
    rotators: tuple[RotatorSettings, ...] = ()
    keys: tuple[KeySettings, ...] = ()
    satellites: tuple[SatelliteSettings, ...] = ()

    @classmethod
    def demo(cls) -> AppSettings:
        """First start: the demo constellation over the demo stations (`groundstation.demo`, as
        `groundstation demo` shows them); the first has a simulated rotator, the loopback radio and
        a horizon mask of city roofs."""
        stations = [
            StationSettings(s.name, s.latitude_deg, s.longitude_deg, s.altitude_m, DEMO_MIN_ELEVATION_DEG)
            for s in DEMO_STATIONS
        ]
        stations[0] = replace(stations[0], rotator="sim-rotator", radio="loopback", horizon_mask=DEMO_MASK)
        return cls(
            show_demo=True,
            stations=tuple(stations),
            radios=(RadioSettings("loopback", "loopback", uplink_hz=145.9e6, downlink_hz=435.8e6),),
            rotators=(RotatorSettings("sim-rotator", "simulated"),),
        )

    def station(self, name: str) -> StationSettings:
        for station in self.stations:
            if station.name == name:
                return station
        raise KeyError(name)

    def satellite(self, norad_id: int) -> SatelliteSettings | None:
        return next((s for s in self.satellites if s.norad_id == norad_id), None)

    def rotator(self, name: str) -> RotatorSettings:
        return next(r for r in self.rotators if r.name == name)

    def radio(self, name: str) -> RadioSettings:
        return next(r for r in self.radios if r.name == name)


@dataclass(frozen=True)
class LayoutState:
    """What the app remembers between runs; never hand-edited, so loading it is forgiving."""

    theme: str = "dark"
    selected_station: str = ""
    selected_norad_id: int | None = None
    window_geometry: str = ""  # base64 of QMainWindow.saveGeometry()
    window_state: str = ""  # base64 of QMainWindow.saveState()
    extra: Mapping[str, str] = field(default_factory=dict)  # per-view state, e.g. map view range


class FieldError(ValueError):
    """A settings entry's bad field: `key` names it, `message` says what is wrong (one line)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


def _require(ok: bool, key: str, message: str) -> None:
    if not ok:
        raise FieldError(key, message)


def _within(value: float, bounds: tuple[float, float], key: str) -> None:
    low, high = bounds
    _require(low <= value <= high, key, f"must be within [{low:g}, {high:g}]")


def _pair(first: float | None, second: float | None) -> tuple[float, float] | None:
    return None if first is None or second is None else (first, second)


# Reading --------------------------------------------------------------------------------------

_T = TypeVar("_T")
_SECTIONS: dict[str, type[Any]] = {
    "stations": StationSettings,
    "radios": RadioSettings,
    "rotators": RotatorSettings,
    "keys": KeySettings,
    "satellites": SatelliteSettings,
}


def settings_path() -> Path:
    return config_dir() / SETTINGS_FILE


def layout_path() -> Path:
    return config_dir() / LAYOUT_FILE


def load_settings(path: Path | None = None) -> AppSettings | None:
    """The operator's settings, or None when there is no settings file (first start: the demo)."""
    path = settings_path() if path is None else path
    if not path.exists():
        return None
    return parse_settings(path.read_text(encoding="utf-8"), str(path))


def parse_settings(text: str, source: str = SETTINGS_FILE) -> AppSettings:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{source}: not valid TOML: {exc}") from None
    locate = _Locator(text, source)
    version = raw.pop("version", SETTINGS_VERSION)
    if version != SETTINGS_VERSION:
        raise InputError(f"{locate('version')}: version: must be {SETTINGS_VERSION}, got {version!r}")
    show_demo = raw.pop("show_demo", False)
    if not isinstance(show_demo, bool):
        raise InputError(f"{locate('show_demo')}: show_demo: must be true or false, got {show_demo!r}")
    files = raw.pop("element_files", [])
    if not isinstance(files, list) or not all(isinstance(f, str) and f for f in files):
        raise InputError(f"{locate('element_files')}: element_files: must be a list of file paths")
    for key in raw:
        if key not in _SECTIONS:
            known = ", ".join(["show_demo", "element_files", *_SECTIONS])
            raise InputError(f"{locate(key)}: {key}: unknown key (known: {known})")
    built: dict[str, tuple[Any, ...]] = {}
    for section, cls in _SECTIONS.items():
        entries = raw.get(section, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise InputError(f"{locate(section)}: {section}: must be an array of tables ([[{section}]])")
        built[section] = tuple(_build(cls, entry, section, i, locate) for i, entry in enumerate(entries))
        _unique_names(built[section], section, locate)
    settings = AppSettings(show_demo=show_demo, element_files=tuple(files), **built)
    _check_references(settings, locate)
    return settings


def _build(cls: type[_T], entry: dict[str, Any], section: str, index: int, locate: _Locator) -> _T:
    try:
        return entry_from_values(cls, entry)
    except FieldError as exc:
        where = f"{locate(section, index, exc.key)}: {section}[{index}].{exc.key}"
        raise InputError(f"{where}: {exc.message}") from None


def entry_from_values(cls: type[_T], values: Mapping[str, Any]) -> _T:
    """A settings entry (`StationSettings`, `SatelliteSettings`, ...) from a table's values, as
    TOML gives them (int for float is fine; absent for a default): type checks, then the entry's
    own checks. Raises `FieldError` naming the first bad field."""
    known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    for key in values:
        if key not in known:
            raise FieldError(key, "unknown field")
    checked: dict[str, Any] = {}
    for name, spec in known.items():
        if name not in values:
            if spec.default is MISSING and spec.default_factory is MISSING:
                raise FieldError(name, "missing")
            continue
        value = values[name]
        expected = spec.type if isinstance(spec.type, str) else spec.type.__name__
        if expected == "float" or expected == "float | None":
            ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            value = float(value) if ok else value
        elif expected == "str":
            ok = isinstance(value, str)
        elif expected == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif expected == "tuple[tuple[float, float], ...]":
            ok = isinstance(value, list | tuple) and all(
                isinstance(pair, list | tuple)
                and len(pair) == 2
                and all(
                    isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in pair
                )
                for pair in value
            )
            value = tuple((float(pair[0]), float(pair[1])) for pair in value) if ok else value
        else:  # pragma: no cover - every settings field has a case above
            raise TypeError(f"unsupported field type {expected}")
        if not ok:
            raise FieldError(name, f"must be a {_NOUN[expected]}, got {value!r}")
        checked[name] = value
    return cls(**checked)


def read_horizon_mask(path: Path) -> tuple[tuple[float, float], ...]:
    """A horizon mask from a text file: one `azimuth_deg elevation_deg` pair a line (spaces or a
    comma between), `#` comments. Raises InputError naming file:line; the station's own checks
    (ranges, distinct azimuths) apply when the mask is used."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    points: list[tuple[float, float]] = []
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split("#", 1)[0].replace(",", " ").split()
        if not words:
            continue
        try:
            azimuth_deg, elevation_deg = (float(word) for word in words)
        except ValueError:
            raise InputError(
                f"{path}:{number}: expected 'azimuth_deg elevation_deg', got {line.strip()!r}"
            ) from None
        if not (math.isfinite(azimuth_deg) and math.isfinite(elevation_deg)):
            raise InputError(f"{path}:{number}: not a finite number: {line.strip()!r}")
        points.append((azimuth_deg, elevation_deg))
    return tuple(points)


def settings_problem(settings: AppSettings) -> str | None:
    """What the loader would refuse in `settings` once saved (a duplicate name, a station naming a
    rotator or radio that is not there), as its one-line message; None when it would load."""
    try:
        parse_settings(settings_to_toml(settings), SETTINGS_FILE)
    except InputError as exc:
        return str(exc)
    return None


_NOUN = {
    "float": "number",
    "float | None": "number",
    "str": "string",
    "int": "whole number",
    "tuple[tuple[float, float], ...]": "list of [number, number] pairs",
}


def _unique_names(entries: Sequence[Any], section: str, locate: _Locator) -> None:
    key = "norad_id" if section == "satellites" else "name"
    seen: set[object] = set()
    for i, entry in enumerate(entries):
        value = getattr(entry, key)
        if value in seen:
            raise InputError(f"{locate(section, i, key)}: {section}[{i}].{key}: duplicate {value!r}")
        seen.add(value)


def _check_references(settings: AppSettings, locate: _Locator) -> None:
    rotators = {r.name for r in settings.rotators}
    radios = {r.name for r in settings.radios}
    for i, station in enumerate(settings.stations):
        for key, value, known in (("rotator", station.rotator, rotators), ("radio", station.radio, radios)):
            if value and value not in known:
                raise InputError(
                    f"{locate('stations', i, key)}: stations[{i}].{key}: no {key} named {value!r}"
                )


class _Locator:
    """Finds the line of a key in the TOML text so errors can say file:line (tomllib does not)."""

    def __init__(self, text: str, source: str) -> None:
        self._lines = text.splitlines()
        self._source = source

    def __call__(self, section: str, index: int | None = None, key: str | None = None) -> str:
        line = self._find(section, index, key)
        return f"{self._source}:{line}" if line else self._source

    def _find(self, section: str, index: int | None, key: str | None) -> int | None:
        if index is None:  # a top-level key or a section header
            pattern = re.compile(rf"^\s*(\[\[?\s*{re.escape(section)}\s*\]\]?|{re.escape(section)}\s*=)")
            return next((n for n, text in enumerate(self._lines, 1) if pattern.match(text)), None)
        header = re.compile(rf"^\s*\[\[\s*{re.escape(section)}\s*\]\]")
        starts = [n for n, text in enumerate(self._lines, 1) if header.match(text)]
        if index >= len(starts):
            return None
        start = starts[index]
        if key is None:
            return start
        key_pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for n in range(start + 1, len(self._lines) + 1):
            text = self._lines[n - 1]
            if text.lstrip().startswith("["):
                break
            if key_pattern.match(text):
                return n
        return start


# Writing --------------------------------------------------------------------------------------


def settings_to_toml(settings: AppSettings) -> str:
    document: dict[str, Any] = {"version": SETTINGS_VERSION}
    if settings.show_demo:
        document["show_demo"] = True
    if settings.element_files:
        document["element_files"] = list(settings.element_files)
    # Each entry as its own [[section]] table (never inline), so the loader's errors name its line.
    chunks = [tomli_w.dumps(document)]
    for section in _SECTIONS:
        for entry in getattr(settings, section):
            table = _as_table(entry)
            mask = table.pop("horizon_mask", None)
            chunks.append(f"\n[[{section}]]\n{tomli_w.dumps(table)}")
            if mask is not None:  # pairs on one line, as an operator writes them
                chunks.append(f"horizon_mask = [{', '.join(f'[{a!r}, {b!r}]' for a, b in mask)}]\n")
    return "".join(chunks)


def _as_table(entry: Any) -> dict[str, Any]:
    # Fields left at their default stay out of the file, so it reads like one written by hand.
    table: dict[str, Any] = {}
    for spec in fields(entry):
        value = getattr(entry, spec.name)
        if spec.default is not MISSING and value == spec.default:
            continue
        table[spec.name] = [list(pair) for pair in value] if isinstance(value, tuple) else value
    return table


def save_settings(settings: AppSettings, path: Path | None = None) -> Path:
    """Write atomically; the file it replaces is kept beside it as `settings.toml.bak`."""
    path = settings_path() if path is None else path
    write_keeping_backup(path, settings_to_toml(settings))
    return path


def write_keeping_backup(path: Path, text: str) -> None:
    """Replace `path` atomically with `text`, keeping the file it replaces as `<name>.bak`."""
    if path.exists():
        shutil.copy2(path, backup_path(path))
    _write_atomically(path, text)


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def load_layout(path: Path | None = None) -> LayoutState:
    """The remembered layout; a missing or unreadable file gives the defaults (it is only comfort)."""
    path = layout_path() if path is None else path
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return LayoutState()
    theme = raw.get("theme")
    norad = raw.get("selected_norad_id")
    extra = raw.get("extra", {})
    return LayoutState(
        theme=theme if theme in THEMES else "dark",
        selected_station=_str_or_empty(raw.get("selected_station")),
        selected_norad_id=norad if isinstance(norad, int) and not isinstance(norad, bool) else None,
        window_geometry=_str_or_empty(raw.get("window_geometry")),
        window_state=_str_or_empty(raw.get("window_state")),
        extra={str(k): v for k, v in extra.items() if isinstance(v, str)} if isinstance(extra, dict) else {},
    )


def _str_or_empty(value: object) -> str:
    return value if isinstance(value, str) else ""


def save_layout(layout: LayoutState, path: Path | None = None) -> Path:
    path = layout_path() if path is None else path
    document: dict[str, Any] = {
        "theme": layout.theme,
        "selected_station": layout.selected_station,
        "window_geometry": layout.window_geometry,
        "window_state": layout.window_state,
        "extra": dict(layout.extra),
    }
    if layout.selected_norad_id is not None:
        document["selected_norad_id"] = layout.selected_norad_id
    _write_atomically(path, tomli_w.dumps(document))
    return path


def _write_atomically(path: Path, text: str) -> None:
    # Write beside the target, then rename: a crash mid-write never leaves half a settings file.
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
