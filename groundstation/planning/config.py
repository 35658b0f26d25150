"""Station and request files (TOML). Errors name the file, line and field.

```toml
[[station]]
name = "Delft"
latitude_deg = 52.0
longitude_deg = 4.37
altitude_m = 0
antennas = 1
min_elevation_deg = 5
setup_s = 120
transmit = true
horizon_mask = [[0, 5], [90, 12], [180, 8], [270, 5]]   # optional (azimuth_deg, elevation_deg)
blackouts = [{ start = 2026-11-22T10:00:00Z, end = 2026-11-22T12:00:00Z }]
reservations = [{ start = 2026-11-22T14:00:00Z, end = 2026-11-22T14:10:00Z, antenna = 0, label = "test" }]

[[node]]
norad_id = 900
priority = 3          # larger is more important
min_contact_s = 120
contacts_per_day = 2
needs_uplink = false
preferred_stations = ["Delft"]
min_elevation_deg = 20   # optional: only the part of a pass above this is useful
name = "NODE-900"
```
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from groundstation.errors import InputError
from groundstation.planning.model import NodeRequest, Reservation, Station, TimeWindow

_STATION_FIELDS = {
    "name",
    "latitude_deg",
    "longitude_deg",
    "altitude_m",
    "antennas",
    "min_elevation_deg",
    "horizon_mask",
    "setup_s",
    "transmit",
    "blackouts",
    "reservations",
}
_NODE_FIELDS = {
    "norad_id",
    "priority",
    "min_contact_s",
    "contacts_per_day",
    "needs_uplink",
    "preferred_stations",
    "min_elevation_deg",
    "name",
}


_REQUIRED = object()


class _Source:
    """A TOML file's text, to point errors at the line of a table's field."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc
        try:
            self.data = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"line (\d+)", str(exc))
            line = match.group(1) if match else "?"
            message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
            raise InputError(f"{path}:{line}: invalid TOML: {message}") from exc
        self.lines = self.text.splitlines()

    def line_of(self, table: str, index: int, field: str | None) -> int:
        """Line of `field` in the index-th [[table]] (or of the header)."""
        header = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
        any_header = re.compile(r"^\s*\[")
        seen = -1
        start = None
        for number, line in enumerate(self.lines, 1):
            if header.match(line):
                seen += 1
                if seen == index:
                    start = number
                    continue
            if start is not None:
                if any_header.match(line):
                    break
                if field and re.match(rf"^\s*{re.escape(field)}\s*=", line):
                    return number
        return start or 1

    def error(self, table: str, index: int, field: str | None, message: str) -> InputError:
        line = self.line_of(table, index, field)
        what = f"{table}[{index}]" + (f".{field}" if field else "")
        return InputError(f"{self.path}:{line}: {what}: {message}")


def _get(
    src: _Source,
    table: str,
    index: int,
    item: dict[str, Any],
    field: str,
    kind: Callable[[Any], Any],
    default: Any = None,
) -> Any:
    if field not in item:
        if default is _REQUIRED:
            raise src.error(table, index, None, f"missing required field {field!r}")
        return default
    value = item[field]
    try:
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise src.error(table, index, field, str(exc)) from exc


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {value!r}")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def _string(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"expected a non-empty string, got {value!r}")
    return value


def parse_time(value: Any) -> datetime:
    """A TOML offset date-time or an ISO 8601 string, as aware UTC (naive and local times refused)."""
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            value = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"not an ISO 8601 time: {value!r}") from exc
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"time {value.isoformat()} needs a UTC offset (e.g. Z)")
        return value.astimezone(UTC)
    if isinstance(value, date):
        raise ValueError(f"expected a date-time with UTC offset, got the date {value.isoformat()}")
    raise TypeError(f"expected a date-time, got {value!r}")


def _windows(value: Any) -> tuple[TimeWindow, ...]:
    if not isinstance(value, list):
        raise TypeError("expected an array of { start = ..., end = ... }")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or set(item) != {"start", "end"}:
            raise ValueError(f"item {i}: expected {{ start = ..., end = ... }}")
        try:
            out.append(TimeWindow(parse_time(item["start"]), parse_time(item["end"])))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"item {i}: {exc}") from exc
    return tuple(out)


def _reservations(value: Any) -> tuple[Reservation, ...]:
    if not isinstance(value, list):
        raise TypeError("expected an array of { start, end, antenna, norad_id, label }")
    out = []
    allowed = {"start", "end", "antenna", "norad_id", "label"}
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not {"start", "end"} <= set(item) or set(item) - allowed:
            raise ValueError(f"item {i}: expected {{ start, end[, antenna, norad_id, label] }}")
        try:
            out.append(
                Reservation(
                    parse_time(item["start"]),
                    parse_time(item["end"]),
                    antenna=_integer(item.get("antenna", 0)),
                    norad_id=_integer(item["norad_id"]) if "norad_id" in item else None,
                    label=str(item.get("label", "")),
                )
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(f"item {i}: {exc}") from exc
    return tuple(out)


def _mask(value: Any) -> tuple[tuple[float, float], ...]:
    if not isinstance(value, list):
        raise TypeError("expected an array of [azimuth_deg, elevation_deg] pairs")
    out = []
    for i, point in enumerate(value):
        if not isinstance(point, list) or len(point) != 2:
            raise ValueError(f"point {i}: expected [azimuth_deg, elevation_deg]")
        out.append((_number(point[0]), _number(point[1])))
    return tuple(out)


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise TypeError("expected an array of station names")
    return tuple(_string(v) for v in value)


def _tables(src: _Source, table: str, allowed: set[str]) -> list[dict[str, Any]]:
    items = src.data.get(table, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise InputError(f"{src.path}:{src.line_of(table, 0, None)}: {table}: expected [[{table}]] tables")
    for key in src.data:
        if key != table:
            line = next(
                (
                    n
                    for n, text in enumerate(src.lines, 1)
                    if re.match(rf"^\s*(\[+\s*)?{re.escape(key)}\b", text)
                ),
                1,
            )
            raise InputError(f"{src.path}:{line}: unexpected top-level key {key!r} (expected [[{table}]])")
    for index, item in enumerate(items):
        for key in item:
            if key not in allowed:
                raise src.error(
                    table, index, key, f"unknown field (expected one of {', '.join(sorted(allowed))})"
                )
    return items


def load_stations(path: Path) -> tuple[Station, ...]:
    src = _Source(path)
    items = _tables(src, "station", _STATION_FIELDS)
    if not items:
        raise InputError(f"{path}:1: no [[station]] tables")
    stations = []
    names: set[str] = set()
    for i, item in enumerate(items):
        get = functools.partial(_get, src, "station", i, item)
        name = get("name", _string, _REQUIRED)
        if name in names:
            raise src.error("station", i, "name", f"duplicate station name {name!r}")
        names.add(name)
        try:
            stations.append(
                Station(
                    name=name,
                    latitude_deg=get("latitude_deg", _number, _REQUIRED),
                    longitude_deg=get("longitude_deg", _number, _REQUIRED),
                    altitude_m=get("altitude_m", _number, 0.0),
                    antennas=get("antennas", _integer, 1),
                    min_elevation_deg=get("min_elevation_deg", _number, 0.0),
                    horizon_mask=get("horizon_mask", _mask, ()),
                    setup_s=get("setup_s", _integer, 0),
                    transmit=get("transmit", _boolean, False),
                    blackouts=get("blackouts", _windows, ()),
                    reservations=get("reservations", _reservations, ()),
                )
            )
        except ValueError as exc:
            field = next((f for f in _STATION_FIELDS if f in str(exc)), None)
            raise src.error("station", i, field, str(exc)) from exc
    return tuple(stations)


def load_requests(path: Path) -> tuple[NodeRequest, ...]:
    src = _Source(path)
    items = _tables(src, "node", _NODE_FIELDS)
    if not items:
        raise InputError(f"{path}:1: no [[node]] tables")
    nodes = []
    ids: set[int] = set()
    for i, item in enumerate(items):
        get = functools.partial(_get, src, "node", i, item)
        norad_id = get("norad_id", _integer, _REQUIRED)
        if norad_id in ids:
            raise src.error("node", i, "norad_id", f"duplicate norad_id {norad_id}")
        ids.add(norad_id)
        try:
            nodes.append(
                NodeRequest(
                    norad_id=norad_id,
                    priority=get("priority", _number, 1.0),
                    min_contact_s=get("min_contact_s", _integer, 60),
                    contacts_per_day=get("contacts_per_day", _integer, 1),
                    needs_uplink=get("needs_uplink", _boolean, False),
                    preferred_stations=get("preferred_stations", _names, ()),
                    min_elevation_deg=get("min_elevation_deg", _number, None),
                    name=get("name", _string, ""),
                )
            )
        except ValueError as exc:
            field = next((f for f in _NODE_FIELDS if f in str(exc)), None)
            raise src.error("node", i, field, str(exc)) from exc
    return tuple(nodes)


def check_preferred_stations(
    path: Path, nodes: tuple[NodeRequest, ...], stations: tuple[Station, ...]
) -> None:
    """Every preferred station a request names must be in the station file."""
    names = {s.name for s in stations}
    src = _Source(path)
    for i, node in enumerate(nodes):
        for name in node.preferred_stations:
            if name not in names:
                raise src.error("node", i, "preferred_stations", f"unknown station {name!r}")
