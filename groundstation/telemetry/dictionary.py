"""The telemetry dictionary: packets and parameters declared in TOML, loaded strictly.

Layout (offsets count from the first byte of the packet data field, after the CCSDS primary
header)::

    name = "demo-node"
    version = 1
    byte_order = "big"            # default for every parameter
    mode_parameter = "mode"       # selects per-mode limits
    stale_after_periods = 3.0     # stale when silent for this many expected periods

    [packets.node_health]
    apid = 0x101
    length_bytes = 48
    expected_period_s = 10.0      # or `sporadic = true`: sent on events, never stale

    [parameters.battery_voltage]
    packet = "node_health"
    type = "u16"                  # u8..u64, i8..i64, f32, f64, bool, enum
    offset_bytes = 4
    unit = "V"
    calibration.polynomial = [0.0, 0.001]
    limits.warning = [3.5, 4.2]
    limits.critical = [3.3, 4.25]

Every error is one line: ``file:line: field: reason``.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
from numpy.typing import NDArray

from groundstation.errors import InputError
from groundstation.telemetry.tomlpos import KeyLines

INTEGER_TYPES: dict[str, tuple[int, bool]] = {
    "u8": (1, False),
    "u16": (2, False),
    "u32": (4, False),
    "u64": (8, False),
    "i8": (1, True),
    "i16": (2, True),
    "i32": (4, True),
    "i64": (8, True),
}
FLOAT_TYPES: dict[str, int] = {"f32": 4, "f64": 8}
VALUE_TYPES = (*INTEGER_TYPES, *FLOAT_TYPES, "bool", "enum")
ByteOrder = Literal["big", "little"]
Interpolation = Literal["linear", "spline"]
APID_MAX = 0x7FF


class DictionaryError(InputError):
    """A dictionary file is malformed; the message is `file:line: field: reason`."""


def numpy_dtype(encoding: str, byte_order: ByteOrder) -> np.dtype[Any]:
    """The numpy dtype of an encoding (u16, f32, ...) in the given byte order."""
    prefix = ">" if byte_order == "big" else "<"
    if encoding in INTEGER_TYPES:
        size, signed = INTEGER_TYPES[encoding]
        return np.dtype(f"{prefix}{'i' if signed else 'u'}{size}")
    return np.dtype(f"{prefix}f{FLOAT_TYPES[encoding]}")


@dataclass(frozen=True)
class PolynomialCalibration:
    """eng = c0 + c1·raw + c2·raw² + ..."""

    coefficients: tuple[float, ...]

    def apply(self, raw: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(np.polynomial.polynomial.polyval(raw, self.coefficients), dtype=np.float64)


@dataclass(frozen=True)
class TableCalibration:
    """Lookup table (raw → eng), linear or natural cubic spline between points; clamped outside."""

    raw_points: tuple[float, ...]
    eng_points: tuple[float, ...]
    interpolation: Interpolation = "linear"

    def apply(self, raw: NDArray[np.float64]) -> NDArray[np.float64]:
        xs = np.asarray(self.raw_points, dtype=np.float64)
        ys = np.asarray(self.eng_points, dtype=np.float64)
        if self.interpolation == "linear":
            return np.interp(raw, xs, ys)
        from scipy.interpolate import CubicSpline

        spline = CubicSpline(xs, ys, bc_type="natural", extrapolate=False)
        return np.asarray(spline(np.clip(raw, xs[0], xs[-1])), dtype=np.float64)


Calibration = PolynomialCalibration | TableCalibration


@dataclass(frozen=True)
class LimitRanges:
    """Allowed engineering ranges: outside `warning` is a warning, outside `critical` critical."""

    warning: tuple[float, float] | None = None
    critical: tuple[float, float] | None = None


@dataclass(frozen=True)
class Limits:
    """Limits of one parameter, optionally per mode, with the anti-flapping rule.

    Anti-flapping: an alarm is raised (or escalated) after `min_violations` consecutive samples out
    of range, and lowered only once the value is back inside the range by `hysteresis` (engineering
    units). Enumerated parameters use `warning_states` / `critical_states` instead of ranges.
    """

    default: LimitRanges = field(default_factory=LimitRanges)
    by_mode: tuple[tuple[str, LimitRanges], ...] = ()
    hysteresis: float = 0.0
    min_violations: int = 1
    warning_states: frozenset[str] = frozenset()
    critical_states: frozenset[str] = frozenset()

    def ranges_for(self, mode: str | None) -> LimitRanges:
        for name, ranges in self.by_mode:
            if name == mode:
                return ranges
        return self.default


@dataclass(frozen=True)
class Parameter:
    name: str
    packet: str
    type: str  # one of VALUE_TYPES
    encoding: str  # the stored integer/float type (for bool/enum: the container, default u8)
    offset_bytes: int
    byte_order: ByteOrder
    unit: str = ""
    description: str = ""
    bit_offset: int | None = None  # counted from the container's least significant bit
    bit_length: int | None = None
    calibration: Calibration | None = None
    enumeration: tuple[tuple[int, str], ...] = ()
    limits: Limits | None = None
    expected_period_s: float = math.inf

    @property
    def size_bytes(self) -> int:
        return (
            INTEGER_TYPES[self.encoding][0] if self.encoding in INTEGER_TYPES else FLOAT_TYPES[self.encoding]
        )

    @property
    def is_textual(self) -> bool:
        return self.type in ("enum", "bool")

    def label(self, raw: int) -> str:
        if self.type == "bool":
            return "true" if raw else "false"
        for value, name in self.enumeration:
            if value == raw:
                return name
        return f"UNKNOWN({raw})"


@dataclass(frozen=True)
class Packet:
    name: str
    apid: int
    length_bytes: int
    expected_period_s: float
    description: str = ""
    parameters: tuple[Parameter, ...] = ()


@dataclass(frozen=True)
class HealthRoles:
    """Which parameters feed which field of the node health summary (names; None when absent)."""

    battery_voltage: str | None = None
    battery_soc: str | None = None
    temperatures: tuple[str, ...] = ()
    mode: str | None = None
    uptime: str | None = None
    storage_used: str | None = None
    commands_accepted: str | None = None
    commands_rejected: str | None = None
    roster_epoch: str | None = None
    last_accepted_sequence: str | None = None
    last_rejection_reason: str | None = None
    link_quality: str | None = None


@dataclass(frozen=True)
class TelemetryDictionary:
    name: str
    version: int
    packets: tuple[Packet, ...]
    mode_parameter: str | None = None
    stale_after_periods: float = 3.0
    health: HealthRoles = field(default_factory=HealthRoles)
    source: str = "<memory>"

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_apid", {p.apid: p for p in self.packets})
        object.__setattr__(self, "_by_name", {prm.name: prm for p in self.packets for prm in p.parameters})

    def packet_for_apid(self, apid: int) -> Packet | None:
        return cast(dict[int, Packet], self._by_apid).get(apid)  # type: ignore[attr-defined]

    def parameter(self, name: str) -> Parameter:
        return cast(dict[str, Parameter], self._by_name)[name]  # type: ignore[attr-defined]

    def has_parameter(self, name: str) -> bool:
        return name in cast(dict[str, Parameter], self._by_name)  # type: ignore[attr-defined]

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        return tuple(prm for p in self.packets for prm in p.parameters)

    @classmethod
    def from_toml(cls, text: str, source: str = "<memory>") -> TelemetryDictionary:
        return _Loader(text, source).load()

    @classmethod
    def from_file(cls, path: str | Path) -> TelemetryDictionary:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise DictionaryError(f"{path}:1: file: cannot read ({exc.strerror})") from None
        return cls.from_toml(text, str(path))


def dictionary_to_toml(dictionary: TelemetryDictionary) -> str:
    """The dictionary in this module's TOML layout (e.g. to edit one imported from XTCE)."""
    import tomli_w

    def ranges(r: LimitRanges) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if r.warning is not None:
            out["warning"] = list(r.warning)
        if r.critical is not None:
            out["critical"] = list(r.critical)
        return out

    doc: dict[str, Any] = {"name": dictionary.name, "version": dictionary.version, "byte_order": "big"}
    if dictionary.mode_parameter is not None:
        doc["mode_parameter"] = dictionary.mode_parameter
    doc["stale_after_periods"] = dictionary.stale_after_periods
    doc["packets"] = {}
    doc["parameters"] = {}
    for packet in dictionary.packets:
        body: dict[str, Any] = {"apid": packet.apid, "length_bytes": packet.length_bytes}
        if math.isinf(packet.expected_period_s):
            body["sporadic"] = True
        else:
            body["expected_period_s"] = packet.expected_period_s
        if packet.description:
            body["description"] = packet.description
        doc["packets"][packet.name] = body
        for prm in packet.parameters:
            p: dict[str, Any] = {"packet": packet.name, "type": prm.type}
            if prm.type in ("bool", "enum"):
                p["encoding"] = prm.encoding
            p["offset_bytes"] = prm.offset_bytes
            if prm.bit_offset is not None and prm.bit_length is not None:
                p["bit_offset"], p["bit_length"] = prm.bit_offset, prm.bit_length
            if prm.byte_order != "big":
                p["byte_order"] = prm.byte_order
            if prm.unit:
                p["unit"] = prm.unit
            if prm.description:
                p["description"] = prm.description
            if prm.expected_period_s != packet.expected_period_s:
                p["expected_period_s"] = prm.expected_period_s
            if prm.enumeration:
                p["enum"] = {str(value): label for value, label in prm.enumeration}
            if isinstance(prm.calibration, PolynomialCalibration):
                p["calibration"] = {"polynomial": list(prm.calibration.coefficients)}
            elif isinstance(prm.calibration, TableCalibration):
                table = [
                    [r, e]
                    for r, e in zip(prm.calibration.raw_points, prm.calibration.eng_points, strict=True)
                ]
                p["calibration"] = {"table": table, "interpolation": prm.calibration.interpolation}
            if prm.limits is not None:
                lim = prm.limits
                limits: dict[str, Any] = {}
                if prm.type == "enum":
                    limits["warning_states"] = sorted(lim.warning_states)
                    limits["critical_states"] = sorted(lim.critical_states)
                else:
                    limits.update(ranges(lim.default))
                    if lim.hysteresis:
                        limits["hysteresis"] = lim.hysteresis
                    if lim.by_mode:
                        limits["by_mode"] = {mode: ranges(r) for mode, r in lim.by_mode}
                if lim.min_violations != 1:
                    limits["min_violations"] = lim.min_violations
                p["limits"] = limits
            doc["parameters"][prm.name] = p
    roles = {k: v for k, v in vars(dictionary.health).items() if v not in (None, ())}
    if roles:
        doc["health"] = {k: list(v) if isinstance(v, tuple) else v for k, v in roles.items()}
    return tomli_w.dumps(doc)


def load_dictionary(path: str | Path) -> TelemetryDictionary:
    """Load and validate a TOML telemetry dictionary (see the module docstring for the layout)."""
    return TelemetryDictionary.from_file(path)


DEMO_DICTIONARY_PATH = Path(__file__).resolve().parent / "demo_node.toml"


def demo_dictionary() -> TelemetryDictionary:
    """The dictionary of the demo nodes' health packet (shipped as demo_node.toml)."""
    return load_dictionary(DEMO_DICTIONARY_PATH)


# --- strict loading -------------------------------------------------------------------------------

_Path = tuple[str | int, ...]
_TOP_KEYS = {
    "name",
    "version",
    "byte_order",
    "mode_parameter",
    "stale_after_periods",
    "packets",
    "parameters",
    "health",
}
_PACKET_KEYS = {"apid", "length_bytes", "expected_period_s", "sporadic", "description"}
_PARAM_KEYS = {
    "packet",
    "type",
    "encoding",
    "offset_bytes",
    "bit_offset",
    "bit_length",
    "byte_order",
    "unit",
    "description",
    "calibration",
    "enum",
    "limits",
    "expected_period_s",
}
_CAL_KEYS = {"polynomial", "table", "interpolation"}
_LIMIT_KEYS = {
    "warning",
    "critical",
    "by_mode",
    "hysteresis",
    "min_violations",
    "warning_states",
    "critical_states",
}
_HEALTH_KEYS = set(HealthRoles.__dataclass_fields__)


class _Loader:
    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self._lines: KeyLines | None = None

    def fail(self, path: _Path, reason: str) -> DictionaryError:
        if self._lines is None:
            self._lines = KeyLines(self.text)
        dotted = ".".join(str(p) for p in path) or "document"
        return DictionaryError(f"{self.source}:{self._lines.line_of(path)}: {dotted}: {reason}")

    # typed getters -------------------------------------------------------------------------------
    def table(self, value: Any, path: _Path) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"must be a table, got {type(value).__name__}")
        return value

    def keys(self, table: Mapping[str, Any], allowed: set[str], path: _Path) -> None:
        for key in table:
            if key not in allowed:
                raise self.fail((*path, key), f"unknown field (allowed: {', '.join(sorted(allowed))})")

    def string(self, table: Mapping[str, Any], key: str, path: _Path, default: str | None = None) -> str:
        value = table.get(key, default)
        if value is None:
            raise self.fail((*path, key), "required")
        if not isinstance(value, str):
            raise self.fail((*path, key), f"must be a string, got {value!r}")
        return value

    def opt_string(self, table: Mapping[str, Any], key: str, path: _Path) -> str | None:
        return self.string(table, key, path) if key in table else None

    def integer(self, table: Mapping[str, Any], key: str, path: _Path, lo: int, hi: int) -> int:
        if key not in table:
            raise self.fail((*path, key), "required")
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail((*path, key), f"must be an integer, got {value!r}")
        if not lo <= value <= hi:
            raise self.fail((*path, key), f"must be in [{lo}, {hi}], got {value}")
        return value

    def number(self, value: Any, path: _Path) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(path, f"must be a number, got {value!r}")
        if not math.isfinite(value):
            raise self.fail(path, f"must be finite, got {value!r}")
        return float(value)

    def bound(self, value: Any, path: _Path) -> float:
        """A limit bound: a number, or ±inf for an open side."""
        if isinstance(value, float) and math.isinf(value):
            return value
        return self.number(value, path)

    def positive(self, table: Mapping[str, Any], key: str, path: _Path) -> float:
        value = self.number(table[key], (*path, key))
        if value <= 0:
            raise self.fail((*path, key), f"must be > 0, got {value:g}")
        return value

    def byte_order(self, table: Mapping[str, Any], path: _Path, default: ByteOrder) -> ByteOrder:
        value = table.get("byte_order", default)
        if value not in ("big", "little"):
            raise self.fail((*path, "byte_order"), f"must be 'big' or 'little', got {value!r}")
        return cast(ByteOrder, value)

    # document ------------------------------------------------------------------------------------
    def load(self) -> TelemetryDictionary:
        try:
            doc = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            # tomllib says "... (at line N, column M)"; keep it on one line in our format.
            message = str(exc)
            line = 1
            if "(at line " in message:
                message, _, where = message.partition(" (at line ")
                line = int(where.split(",")[0])
            raise DictionaryError(f"{self.source}:{line}: document: invalid TOML ({message})") from None
        self.keys(doc, _TOP_KEYS, ())
        name = self.string(doc, "name", ())
        version = self.integer(doc, "version", (), 1, 2**31 - 1) if "version" in doc else 1
        order = self.byte_order(doc, (), "big")
        stale = self.positive(doc, "stale_after_periods", ()) if "stale_after_periods" in doc else 3.0
        packets_raw = self.table(doc.get("packets", {}), ("packets",))
        if not packets_raw:
            raise self.fail(("packets",), "at least one packet is required")
        packets: dict[str, Packet] = {}
        apids: dict[int, str] = {}
        for pname, body in packets_raw.items():
            packet = self.packet(pname, self.table(body, ("packets", pname)))
            if packet.apid in apids:
                raise self.fail(
                    ("packets", pname, "apid"),
                    f"APID {packet.apid:#x} already used by {apids[packet.apid]!r}",
                )
            apids[packet.apid] = pname
            packets[pname] = packet
        params_raw = self.table(doc.get("parameters", {}), ("parameters",))
        grouped: dict[str, list[Parameter]] = {p: [] for p in packets}
        for prm_name, body in params_raw.items():
            prm = self.parameter(prm_name, self.table(body, ("parameters", prm_name)), packets, order)
            grouped[prm.packet].append(prm)
        final = tuple(
            Packet(p.name, p.apid, p.length_bytes, p.expected_period_s, p.description, tuple(grouped[p.name]))
            for p in packets.values()
        )
        all_params = {prm.name: prm for p in final for prm in p.parameters}
        mode_parameter = self.opt_string(doc, "mode_parameter", ())
        if mode_parameter is not None:
            mode_prm = all_params.get(mode_parameter)
            if mode_prm is None or mode_prm.type != "enum":
                raise self.fail(("mode_parameter",), f"must name an enum parameter, got {mode_parameter!r}")
            modes = {label for _, label in mode_prm.enumeration}
            for prm in all_params.values():
                for mode, _ in prm.limits.by_mode if prm.limits else ():
                    if mode not in modes:
                        raise self.fail(
                            ("parameters", prm.name, "limits", "by_mode", mode),
                            f"unknown mode (the modes of {mode_parameter!r}: {', '.join(sorted(modes))})",
                        )
        else:
            for prm in all_params.values():
                if prm.limits and prm.limits.by_mode:
                    raise self.fail(
                        ("parameters", prm.name, "limits", "by_mode"), "needs a top-level mode_parameter"
                    )
        health = self.health(doc.get("health", {}), all_params)
        return TelemetryDictionary(name, version, final, mode_parameter, stale, health, self.source)

    def packet(self, name: str, body: dict[str, Any]) -> Packet:
        path: _Path = ("packets", name)
        self.keys(body, _PACKET_KEYS, path)
        apid = self.integer(body, "apid", path, 0, APID_MAX)
        length = self.integer(body, "length_bytes", path, 1, 65_536)
        sporadic = body.get("sporadic", False)
        if not isinstance(sporadic, bool):
            raise self.fail((*path, "sporadic"), f"must be true or false, got {sporadic!r}")
        if sporadic:  # sent when something happens: no period, never stale
            if "expected_period_s" in body:
                raise self.fail((*path, "expected_period_s"), "a sporadic packet has no period")
            period = math.inf
        elif "expected_period_s" not in body:
            raise self.fail((*path, "expected_period_s"), "required (used for staleness; or sporadic = true)")
        else:
            period = self.positive(body, "expected_period_s", path)
        return Packet(name, apid, length, period, self.string(body, "description", path, ""))

    def parameter(
        self, name: str, body: dict[str, Any], packets: Mapping[str, Packet], order: ByteOrder
    ) -> Parameter:
        path: _Path = ("parameters", name)
        self.keys(body, _PARAM_KEYS, path)
        packet_name = self.string(body, "packet", path)
        if packet_name not in packets:
            raise self.fail(
                (*path, "packet"), f"unknown packet {packet_name!r} (known: {', '.join(packets)})"
            )
        packet = packets[packet_name]
        vtype = self.string(body, "type", path)
        if vtype not in VALUE_TYPES:
            raise self.fail((*path, "type"), f"unknown type {vtype!r} (one of {', '.join(VALUE_TYPES)})")
        if vtype in ("bool", "enum"):
            encoding = self.string(body, "encoding", path, "u8")
            if encoding not in INTEGER_TYPES:
                raise self.fail((*path, "encoding"), f"must be an integer type for {vtype}, got {encoding!r}")
        else:
            if "encoding" in body:
                raise self.fail(
                    (*path, "encoding"), f"only for bool and enum (type {vtype} is its own encoding)"
                )
            encoding = vtype
        offset = self.integer(body, "offset_bytes", path, 0, packet.length_bytes - 1)
        size = INTEGER_TYPES[encoding][0] if encoding in INTEGER_TYPES else FLOAT_TYPES[encoding]
        if offset + size > packet.length_bytes:
            raise self.fail(
                (*path, "offset_bytes"),
                f"{encoding} at byte {offset} ends past the packet's {packet.length_bytes} bytes",
            )
        bit_offset = bit_length = None
        if "bit_offset" in body or "bit_length" in body:
            if encoding not in INTEGER_TYPES:
                raise self.fail((*path, "bit_offset"), "bit fields need an integer encoding")
            bits = size * 8
            bit_offset = self.integer(body, "bit_offset", path, 0, bits - 1)
            if vtype == "bool" and "bit_length" not in body:
                bit_length = 1
            else:
                bit_length = self.integer(body, "bit_length", path, 1, bits)
            if bit_offset + bit_length > bits:
                raise self.fail(
                    (*path, "bit_length"),
                    f"bits {bit_offset}..{bit_offset + bit_length - 1} exceed {encoding}",
                )
        period = (
            self.positive(body, "expected_period_s", path)
            if "expected_period_s" in body
            else packet.expected_period_s
        )
        enumeration: tuple[tuple[int, str], ...] = ()
        if vtype == "enum":
            enumeration = self.enumeration(body.get("enum"), (*path, "enum"))
        elif "enum" in body:
            raise self.fail((*path, "enum"), "only for type = 'enum'")
        calibration = None
        if "calibration" in body:
            if vtype in ("bool", "enum"):
                raise self.fail((*path, "calibration"), f"not allowed for type {vtype}")
            calibration = self.calibration(
                self.table(body["calibration"], (*path, "calibration")), (*path, "calibration")
            )
        limits = None
        if "limits" in body:
            limits = self.limits(
                self.table(body["limits"], (*path, "limits")), (*path, "limits"), vtype, enumeration
            )
        return Parameter(
            name=name,
            packet=packet_name,
            type=vtype,
            encoding=encoding,
            offset_bytes=offset,
            byte_order=self.byte_order(body, path, order),
            unit=self.string(body, "unit", path, ""),
            description=self.string(body, "description", path, ""),
            bit_offset=bit_offset,
            bit_length=bit_length,
            calibration=calibration,
            enumeration=enumeration,
            limits=limits,
            expected_period_s=period,
        )

    def enumeration(self, raw: Any, path: _Path) -> tuple[tuple[int, str], ...]:
        if raw is None:
            raise self.fail(path, "required for type = 'enum' (a table of value = \"label\")")
        table = self.table(raw, path)
        if not table:
            raise self.fail(path, "must list at least one value")
        out: list[tuple[int, str]] = []
        labels: set[str] = set()
        for key, label in table.items():
            try:
                value = int(key, 0)
            except ValueError:
                raise self.fail((*path, key), 'keys must be integers (e.g. 0 = "safe")') from None
            if not isinstance(label, str) or not label:
                raise self.fail((*path, key), f"label must be a non-empty string, got {label!r}")
            if label in labels:
                raise self.fail((*path, key), f"label {label!r} used twice")
            labels.add(label)
            out.append((value, label))
        return tuple(sorted(out))

    def calibration(self, body: dict[str, Any], path: _Path) -> Calibration:
        self.keys(body, _CAL_KEYS, path)
        if ("polynomial" in body) == ("table" in body):
            raise self.fail(path, "give exactly one of 'polynomial' or 'table'")
        if "polynomial" in body:
            if "interpolation" in body:
                raise self.fail((*path, "interpolation"), "only for 'table'")
            coeffs = body["polynomial"]
            if not isinstance(coeffs, list) or not coeffs:
                raise self.fail(
                    (*path, "polynomial"), "must be a non-empty list of coefficients [c0, c1, ...]"
                )
            return PolynomialCalibration(tuple(self.number(c, (*path, "polynomial")) for c in coeffs))
        points = body["table"]
        if not isinstance(points, list) or len(points) < 2:
            raise self.fail((*path, "table"), "must list at least two [raw, eng] points")
        raws: list[float] = []
        engs: list[float] = []
        for point in points:
            if not isinstance(point, list) or len(point) != 2:
                raise self.fail((*path, "table"), f"each point must be [raw, eng], got {point!r}")
            raws.append(self.number(point[0], (*path, "table")))
            engs.append(self.number(point[1], (*path, "table")))
        if any(b <= a for a, b in itertools.pairwise(raws)):
            raise self.fail((*path, "table"), "raw values must be strictly increasing")
        interpolation = body.get("interpolation", "linear")
        if interpolation not in ("linear", "spline"):
            raise self.fail((*path, "interpolation"), f"must be 'linear' or 'spline', got {interpolation!r}")
        if interpolation == "spline" and len(raws) < 3:
            raise self.fail((*path, "table"), "a spline needs at least three points")
        return TableCalibration(tuple(raws), tuple(engs), cast(Interpolation, interpolation))

    def ranges(self, body: Mapping[str, Any], path: _Path) -> LimitRanges:
        found: dict[str, tuple[float, float]] = {}
        for key in ("warning", "critical"):
            if key in body:
                pair = body[key]
                if not isinstance(pair, list) or len(pair) != 2:
                    raise self.fail((*path, key), f"must be [low, high], got {pair!r}")
                lo, hi = (self.bound(v, (*path, key)) for v in pair)
                if lo > hi:
                    raise self.fail((*path, key), f"low {lo:g} is above high {hi:g}")
                found[key] = (lo, hi)
        warning, critical = found.get("warning"), found.get("critical")
        if warning and critical and not (critical[0] <= warning[0] and warning[1] <= critical[1]):
            raise self.fail(
                (*path, "critical"), f"range {list(critical)} must contain the warning range {list(warning)}"
            )
        return LimitRanges(warning, critical)

    def states(self, body: Mapping[str, Any], key: str, path: _Path, labels: set[str]) -> frozenset[str]:
        value = body.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail((*path, key), "must be a list of enumeration labels")
        for label in value:
            if label not in labels:
                raise self.fail((*path, key), f"unknown label {label!r} (known: {', '.join(sorted(labels))})")
        return frozenset(value)

    def limits(
        self, body: dict[str, Any], path: _Path, vtype: str, enumeration: tuple[tuple[int, str], ...]
    ) -> Limits:
        self.keys(body, _LIMIT_KEYS, path)
        if vtype == "enum":
            for key in ("warning", "critical", "by_mode", "hysteresis"):
                if key in body:
                    raise self.fail((*path, key), "enum parameters use warning_states / critical_states")
            labels = {label for _, label in enumeration}
            warning_states = self.states(body, "warning_states", path, labels)
            critical_states = self.states(body, "critical_states", path, labels)
            if warning_states & critical_states:
                raise self.fail((*path, "critical_states"), "a state cannot be both warning and critical")
            return Limits(
                warning_states=warning_states,
                critical_states=critical_states,
                min_violations=self.integer(body, "min_violations", path, 1, 1000)
                if "min_violations" in body
                else 1,
            )
        for key in ("warning_states", "critical_states"):
            if key in body:
                raise self.fail((*path, key), "only for enum parameters")
        if vtype == "bool":
            raise self.fail(path, "bool parameters have no limits")
        default = self.ranges(body, path)
        by_mode: list[tuple[str, LimitRanges]] = []
        if "by_mode" in body:
            modes = self.table(body["by_mode"], (*path, "by_mode"))
            for mode, ranges in modes.items():
                mpath = (*path, "by_mode", mode)
                mbody = self.table(ranges, mpath)
                self.keys(mbody, {"warning", "critical"}, mpath)
                by_mode.append((mode, self.ranges(mbody, mpath)))
        if default.warning is None and default.critical is None and not by_mode:
            raise self.fail(path, "give 'warning' and/or 'critical' ranges")
        hysteresis = self.number(body["hysteresis"], (*path, "hysteresis")) if "hysteresis" in body else 0.0
        if hysteresis < 0:
            raise self.fail((*path, "hysteresis"), "must be >= 0")
        min_violations = (
            self.integer(body, "min_violations", path, 1, 1000) if "min_violations" in body else 1
        )
        return Limits(default, tuple(by_mode), hysteresis, min_violations)

    def health(self, raw: Any, params: Mapping[str, Parameter]) -> HealthRoles:
        body = self.table(raw, ("health",))
        self.keys(body, _HEALTH_KEYS, ("health",))
        values: dict[str, Any] = {}
        for key, value in body.items():
            names = value if key == "temperatures" else [value]
            if key == "temperatures" and not isinstance(value, list):
                raise self.fail(("health", key), "must be a list of parameter names")
            for item in names:
                if not isinstance(item, str) or item not in params:
                    raise self.fail(("health", key), f"unknown parameter {item!r}")
            values[key] = tuple(value) if key == "temperatures" else value
        return HealthRoles(**values)
