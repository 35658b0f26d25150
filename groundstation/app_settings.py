"""The desktop app's settings, Qt-free: stations, radios, rotators, element sources, key locations.

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
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

import tomli_w

from groundstation.demo import DEMO_STATIONS
from groundstation.errors import InputError
from groundstation.settings import config_dir

SETTINGS_FILE = "settings.toml"
LAYOUT_FILE = "layout.toml"
SETTINGS_VERSION = 1

RADIO_DRIVERS = ("loopback", "soapy", "hamlib")
ROTATOR_DRIVERS = ("simulated", "rotctld", "gs232", "easycomm")
THEMES = ("dark", "light")
DEMO_MIN_ELEVATION_DEG = 0.0  # as `groundstation demo` finds passes
DEMO_MASK = ((0.0, 2.0), (70.0, 7.0), (130.0, 3.0), (200.0, 9.0), (290.0, 4.0))


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
        _require(-90.0 <= self.latitude_deg <= 90.0, "latitude_deg", "must be within [-90, 90]")
        _require(-180.0 <= self.longitude_deg <= 180.0, "longitude_deg", "must be within [-180, 180]")
        _require(-500.0 <= self.altitude_m <= 9000.0, "altitude_m", "must be within [-500, 9000]")
        _require(-5.0 <= self.min_elevation_deg < 90.0, "min_elevation_deg", "must be within [-5, 90)")
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
        _require(1 <= self.antennas <= 16, "antennas", "must be within [1, 16]")


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

    def __post_init__(self) -> None:
        _require(bool(self.name.strip()), "name", "must not be empty")
        _require(self.driver in ROTATOR_DRIVERS, "driver", f"must be one of {', '.join(ROTATOR_DRIVERS)}")

    @property
    def uri(self) -> str:
        """The device URI `radios.registry.open_rotator` takes."""
        if self.driver == "simulated":
            return "sim:"
        if self.driver == "rotctld":
            return f"rotctld://{self.address}"
        return f"{self.driver}:{self.address}"


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


@dataclass(frozen=True)
class LayoutState:
    """What the app remembers between runs; never hand-edited, so loading it is forgiving."""

    theme: str = "dark"
    selected_station: str = ""
    selected_norad_id: int | None = None
    window_geometry: str = ""  # base64 of QMainWindow.saveGeometry()
    window_state: str = ""  # base64 of QMainWindow.saveState()
    extra: Mapping[str, str] = field(default_factory=dict)  # per-view state, e.g. map view range


class _FieldError(ValueError):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


def _require(ok: bool, key: str, message: str) -> None:
    if not ok:
        raise _FieldError(key, message)


# Reading --------------------------------------------------------------------------------------

_T = TypeVar("_T")
_SECTIONS: dict[str, type[Any]] = {
    "stations": StationSettings,
    "radios": RadioSettings,
    "rotators": RotatorSettings,
    "keys": KeySettings,
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
    where = f"{section}[{index}]"
    known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    for key in entry:
        if key not in known:
            raise InputError(f"{locate(section, index, key)}: {where}.{key}: unknown field")
    values: dict[str, Any] = {}
    for name, spec in known.items():
        if name not in entry:
            if spec.default is MISSING and spec.default_factory is MISSING:
                raise InputError(f"{locate(section, index)}: {where}.{name}: missing")
            continue
        value = entry[name]
        expected = spec.type if isinstance(spec.type, str) else spec.type.__name__
        if expected == "float":
            ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            value = float(value) if ok else value
        elif expected == "str":
            ok = isinstance(value, str)
        elif expected == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif expected == "tuple[tuple[float, float], ...]":
            ok = isinstance(value, list) and all(
                isinstance(pair, list)
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
            raise InputError(
                f"{locate(section, index, name)}: {where}.{name}: must be a {_NOUN[expected]}, got {value!r}"
            )
        values[name] = value
    try:
        return cls(**values)
    except _FieldError as exc:
        raise InputError(f"{locate(section, index, exc.key)}: {where}.{exc.key}: {exc.message}") from None


_NOUN = {
    "float": "number",
    "str": "string",
    "int": "whole number",
    "tuple[tuple[float, float], ...]": "list of [number, number] pairs",
}


def _unique_names(entries: Sequence[Any], section: str, locate: _Locator) -> None:
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        if entry.name in seen:
            raise InputError(f"{locate(section, i, 'name')}: {section}[{i}].name: duplicate {entry.name!r}")
        seen.add(entry.name)


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
    for section in _SECTIONS:
        entries = getattr(settings, section)
        if entries:
            document[section] = [_as_table(entry) for entry in entries]
    return tomli_w.dumps(document)


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
    path = settings_path() if path is None else path
    _write_atomically(path, settings_to_toml(settings))
    return path


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
