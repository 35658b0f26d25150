"""Import an XTCE (OMG XML Telemetric and Command Exchange, 1.2) telemetry definition.

Covered: CCSDS packets as SequenceContainers inheriting from an abstract root whose entries are the
6-byte primary header, restricted by a Comparison on the APID; Integer, Float, Enumerated and
Boolean parameter types with Integer or IEEE754 Float data encodings (any bit size and position,
big-endian; little-endian when byte-aligned); Polynomial and linear Spline default calibrators;
units; static alarm ranges and enumeration alarms; ContainerRefEntry; DefaultRateInStream for
staleness. Anything else is refused with `file:line: element: reason` rather than decoded wrongly.
"""

from __future__ import annotations

import itertools
import math
import xml.parsers.expat
from dataclasses import dataclass, field, replace
from pathlib import Path

from groundstation.telemetry.dictionary import (
    APID_MAX,
    ByteOrder,
    Calibration,
    DictionaryError,
    LimitRanges,
    Limits,
    Packet,
    Parameter,
    PolynomialCalibration,
    TableCalibration,
    TelemetryDictionary,
)

PRIMARY_HEADER_BITS = 48
CONTAINER_BITS = (8, 16, 32, 64)
_SIGNED = {"twosComplement", "signed"}
_UNSIGNED = {"unsigned"}
_WARNING_LEVELS = {"watch", "warning"}
_CRITICAL_LEVELS = {"distress", "critical", "severe"}


class XtceError(DictionaryError):
    """An XTCE document this importer cannot use; `file:line: element: reason`."""


@dataclass
class _Node:
    tag: str  # local name, namespace stripped
    attrib: dict[str, str]
    line: int
    children: list[_Node] = field(default_factory=list)
    text: str = ""

    def child(self, tag: str) -> _Node | None:
        return next((c for c in self.children if c.tag == tag), None)

    def all(self, tag: str) -> list[_Node]:
        return [c for c in self.children if c.tag == tag]

    def find(self, *path: str) -> _Node | None:
        node: _Node | None = self
        for tag in path:
            node = node.child(tag) if node is not None else None
        return node


def _parse(text: str, source: str) -> _Node:
    """A small element tree with line numbers (ElementTree has none); DTDs are refused."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator="}")
    stack: list[_Node] = []
    root: list[_Node] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        node = _Node(
            name.rsplit("}", 1)[-1],
            {k.rsplit("}", 1)[-1]: v for k, v in attrs.items()},
            parser.CurrentLineNumber,
        )
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(_name: str) -> None:
        stack.pop()

    def chars(data: str) -> None:
        if stack:
            stack[-1].text += data

    def doctype(*_args: object) -> None:
        raise XtceError(f"{source}:{parser.CurrentLineNumber}: DOCTYPE: DTDs and entities are not accepted")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    try:
        parser.Parse(text, True)
    except xml.parsers.expat.ExpatError as exc:
        raise XtceError(
            f"{source}:{exc.lineno}: document: invalid XML ({xml.parsers.expat.errors.messages[exc.code]})"
        ) from None
    if not root:
        raise XtceError(f"{source}:1: document: empty")
    return root[0]


@dataclass(frozen=True)
class _Type:
    kind: str  # int, float, enum, bool
    size_bits: int
    signed: bool
    is_ieee_float: bool
    byte_order: ByteOrder
    unit: str
    calibration: Calibration | None
    enumeration: tuple[tuple[int, str], ...]
    limits: Limits | None


class _Importer:
    def __init__(self, text: str, source: str, default_period_s: float, mode_parameter: str | None) -> None:
        self.source = source
        self.root = _parse(text, source)
        self.default_period_s = default_period_s
        self.mode_parameter = mode_parameter

    def fail(self, node: _Node, reason: str) -> XtceError:
        name = node.attrib.get("name") or node.attrib.get("parameterRef") or ""
        where = f"{node.tag}[{name}]" if name else node.tag
        return XtceError(f"{self.source}:{node.line}: {where}: {reason}")

    def number(self, node: _Node, key: str) -> float:
        try:
            value = float(node.attrib[key])
        except KeyError:
            raise self.fail(node, f"attribute {key} is required") from None
        except ValueError:
            raise self.fail(node, f"{key}={node.attrib[key]!r} is not a number") from None
        return value

    def integer(self, node: _Node, key: str, default: int | None = None) -> int:
        if key not in node.attrib:
            if default is None:
                raise self.fail(node, f"attribute {key} is required")
            return default
        try:
            return int(node.attrib[key], 0)
        except ValueError:
            raise self.fail(node, f"{key}={node.attrib[key]!r} is not an integer") from None

    # --- types -----------------------------------------------------------------------------------
    def types(self, tm: _Node) -> dict[str, _Type]:
        out: dict[str, _Type] = {}
        for node in (tm.child("ParameterTypeSet") or _Node("ParameterTypeSet", {}, tm.line)).children:
            name = node.attrib.get("name")
            if not name:
                raise self.fail(node, "a parameter type needs a name")
            out[name] = self.parameter_type(node)
        return out

    def parameter_type(self, node: _Node) -> _Type:
        kinds = {
            "IntegerParameterType": "int",
            "FloatParameterType": "float",
            "EnumeratedParameterType": "enum",
            "BooleanParameterType": "bool",
        }
        kind = kinds.get(node.tag)
        if kind is None:
            raise self.fail(node, f"unsupported parameter type (supported: {', '.join(kinds)})")
        unit_node = node.find("UnitSet", "Unit")
        unit = unit_node.text.strip() if unit_node is not None else ""
        int_enc, float_enc = node.child("IntegerDataEncoding"), node.child("FloatDataEncoding")
        if int_enc is None and float_enc is None:
            raise self.fail(node, "needs an IntegerDataEncoding or FloatDataEncoding")
        enc = int_enc or float_enc
        assert enc is not None
        order = enc.attrib.get("byteOrder", "mostSignificantByteFirst")
        if order not in ("mostSignificantByteFirst", "leastSignificantByteFirst"):
            raise self.fail(enc, f"unsupported byteOrder {order!r}")
        byte_order: ByteOrder = "big" if order == "mostSignificantByteFirst" else "little"
        if float_enc is not None:
            if kind != "float":
                raise self.fail(float_enc, f"a FloatDataEncoding cannot encode a {kind}")
            size = self.integer(float_enc, "sizeInBits", 32)
            if float_enc.attrib.get("encoding", "IEEE754") not in ("IEEE754", "IEEE754_1985") or size not in (
                32,
                64,
            ):
                raise self.fail(float_enc, "only IEEE754 32- or 64-bit floats are supported")
            signed, ieee = True, True
        else:
            assert int_enc is not None
            size = self.integer(int_enc, "sizeInBits", 8)
            encoding = int_enc.attrib.get("encoding", "unsigned")
            if encoding not in _SIGNED | _UNSIGNED:
                raise self.fail(
                    int_enc, f"unsupported integer encoding {encoding!r} (unsigned, twosComplement)"
                )
            if not 1 <= size <= 64:
                raise self.fail(int_enc, f"sizeInBits={size} is outside 1..64")
            signed, ieee = encoding in _SIGNED, False
        calibration = self.calibrator(enc)
        if calibration is not None and kind in ("enum", "bool"):
            raise self.fail(enc, f"a calibrator on a {kind} type is not supported")
        enumeration: tuple[tuple[int, str], ...] = ()
        if kind == "enum":
            items = node.find("EnumerationList")
            if items is None or not items.all("Enumeration"):
                raise self.fail(node, "needs an EnumerationList")
            pairs = []
            for item in items.all("Enumeration"):
                if "maxValue" in item.attrib:
                    raise self.fail(item, "enumeration ranges (maxValue) are not supported")
                pairs.append((self.integer(item, "value"), item.attrib.get("label", "")))
            enumeration = tuple(sorted(pairs))
        return _Type(
            kind, size, signed, ieee, byte_order, unit, calibration, enumeration, self.alarms(node, kind)
        )

    def calibrator(self, enc: _Node) -> Calibration | None:
        default = enc.child("DefaultCalibrator")
        if enc.child("ContextCalibratorList") is not None:
            raise self.fail(enc, "context calibrators are not supported")
        if default is None or not default.children:
            return None
        cal = default.children[0]
        if cal.tag == "PolynomialCalibrator":
            terms = {self.integer(t, "exponent"): self.number(t, "coefficient") for t in cal.all("Term")}
            if not terms or min(terms) < 0:
                raise self.fail(cal, "needs Terms with exponents >= 0")
            return PolynomialCalibration(tuple(terms.get(i, 0.0) for i in range(max(terms) + 1)))
        if cal.tag == "SplineCalibrator":
            if self.integer(cal, "order", 1) != 1:
                raise self.fail(cal, "only linear (order=1) splines are supported")
            if cal.attrib.get("extrapolate", "false") == "true":
                raise self.fail(cal, "extrapolating splines are not supported (values clamp to the table)")
            points = [(self.number(p, "raw"), self.number(p, "calibrated")) for p in cal.all("SplinePoint")]
            if len(points) < 2 or any(b[0] <= a[0] for a, b in itertools.pairwise(points)):
                raise self.fail(cal, "needs at least two SplinePoints with increasing raw values")
            return TableCalibration(tuple(p[0] for p in points), tuple(p[1] for p in points), "linear")
        raise self.fail(cal, "unsupported calibrator (Polynomial, linear Spline)")

    def alarms(self, node: _Node, kind: str) -> Limits | None:
        alarm = node.child("DefaultAlarm")
        if alarm is None:
            return None
        if kind == "enum":
            warning_states: set[str] = set()
            critical_states: set[str] = set()
            listed = alarm.child("EnumerationAlarmList")
            for item in listed.all("EnumerationAlarm") if listed is not None else []:
                level = item.attrib.get("alarmLevel", "normal")
                label = item.attrib.get("enumerationLabel", "")
                if level in _WARNING_LEVELS:
                    warning_states.add(label)
                elif level in _CRITICAL_LEVELS:
                    critical_states.add(label)
            return Limits(
                warning_states=frozenset(warning_states), critical_states=frozenset(critical_states)
            )
        ranges = alarm.child("StaticAlarmRanges")
        if ranges is None:
            raise self.fail(alarm, "only StaticAlarmRanges are supported")

        def bounds(tags: tuple[str, ...]) -> tuple[float, float] | None:
            for tag in tags:
                r = ranges.child(tag)
                if r is not None:
                    lo = float(r.attrib.get("minInclusive", r.attrib.get("minExclusive", "-inf")))
                    hi = float(r.attrib.get("maxInclusive", r.attrib.get("maxExclusive", "inf")))
                    return (lo, hi)
            return None

        warning = bounds(("WarningRange", "WatchRange"))
        critical = bounds(("CriticalRange", "DistressRange", "SevereRange"))
        if warning is None and critical is None:
            return None
        return Limits(default=LimitRanges(warning, critical))

    # --- containers ------------------------------------------------------------------------------
    def load(self) -> TelemetryDictionary:
        if self.root.tag != "SpaceSystem":
            raise self.fail(self.root, "the root element must be a SpaceSystem")
        systems = [self.root, *(n for n in self.root.all("SpaceSystem"))]
        types: dict[str, _Type] = {}
        params: dict[str, tuple[_Node, str]] = {}
        containers: dict[str, _Node] = {}
        for system in systems:
            tm = system.child("TelemetryMetaData")
            if tm is None:
                continue
            types.update(self.types(tm))
            for p in (tm.child("ParameterSet") or _Node("", {}, 0)).all("Parameter"):
                params[p.attrib.get("name", "")] = (p, p.attrib.get("parameterTypeRef", ""))
            for c in (tm.child("ContainerSet") or _Node("", {}, 0)).all("SequenceContainer"):
                containers[c.attrib.get("name", "")] = c
        for node, type_ref in params.values():
            if type_ref not in types:
                raise self.fail(node, f"unknown parameterTypeRef {type_ref!r}")
        packets = []
        apids: dict[int, str] = {}
        for name, container in containers.items():
            if container.attrib.get("abstract", "false") == "true":
                continue
            packet = self.packet(name, container, containers, params, types)
            if packet.apid in apids:
                raise self.fail(container, f"APID {packet.apid:#x} already used by {apids[packet.apid]!r}")
            apids[packet.apid] = name
            packets.append(packet)
        if not packets:
            raise self.fail(self.root, "no concrete SequenceContainer (packet) found")
        return TelemetryDictionary(
            name=self.root.attrib.get("name", "xtce"),
            version=1,
            packets=tuple(packets),
            mode_parameter=self.mode_parameter,
            source=self.source,
        )

    def entries(self, container: _Node, containers: dict[str, _Node], depth: int = 0) -> list[_Node]:
        if depth > 32:
            raise self.fail(container, "container nesting deeper than 32 (a cycle?)")
        out: list[_Node] = []
        for entry in (container.child("EntryList") or _Node("", {}, 0)).children:
            if (
                entry.child("LocationInContainerInBits") is not None
                or entry.child("IncludeCondition") is not None
            ):
                raise self.fail(entry, "explicit locations and include conditions are not supported")
            if entry.tag == "ParameterRefEntry":
                out.append(entry)
            elif entry.tag == "ContainerRefEntry":
                ref = containers.get(entry.attrib.get("containerRef", ""))
                if ref is None:
                    raise self.fail(entry, "unknown containerRef")
                out.extend(self.entries(ref, containers, depth + 1))
            else:
                raise self.fail(entry, "unsupported entry (ParameterRefEntry, ContainerRefEntry)")
        return out

    def packet(
        self,
        name: str,
        container: _Node,
        containers: dict[str, _Node],
        params: dict[str, tuple[_Node, str]],
        types: dict[str, _Type],
    ) -> Packet:
        chain = [container]
        apid: int | None = None
        while (base := chain[-1].child("BaseContainer")) is not None:
            for comparison in _comparisons(base):
                if "apid" in comparison.attrib.get("parameterRef", "").lower():
                    apid = self.integer(comparison, "value")
            parent = containers.get(base.attrib.get("containerRef", ""))
            if parent is None:
                raise self.fail(base, "unknown containerRef")
            if len(chain) > 32 or parent in chain:
                raise self.fail(base, "base container cycle")
            chain.append(parent)
        if apid is None or not 0 <= apid <= APID_MAX:
            raise self.fail(container, "needs a RestrictionCriteria Comparison on the APID (0..2047)")
        entries = [e for c in reversed(chain) for e in self.entries(c, containers)]
        bit = 0
        parameters: list[Parameter] = []
        for entry in entries:
            ref = entry.attrib.get("parameterRef", "")
            if ref not in params:
                raise self.fail(entry, "unknown parameterRef")
            ptype = types[params[ref][1]]
            if bit >= PRIMARY_HEADER_BITS:
                parameters.append(self.parameter(entry, ref, name, ptype, bit - PRIMARY_HEADER_BITS))
            elif bit + ptype.size_bits > PRIMARY_HEADER_BITS:
                raise self.fail(entry, "straddles the end of the 6-byte CCSDS primary header")
            bit += ptype.size_bits
        if bit <= PRIMARY_HEADER_BITS:
            raise self.fail(container, "no parameters after the 6-byte CCSDS primary header")
        rate = container.find("DefaultRateInStream")
        period = self.default_period_s
        if rate is not None and "minimumValue" in rate.attrib:
            per_second = self.number(rate, "minimumValue")
            if rate.attrib.get("basis", "perSecond") != "perSecond" or per_second <= 0:
                raise self.fail(rate, "only a positive perSecond rate is supported")
            period = 1.0 / per_second
        length = math.ceil((bit - PRIMARY_HEADER_BITS) / 8)
        parameters = [replace(p, expected_period_s=period) for p in parameters]
        return Packet(name, apid, length, period, "", tuple(parameters))

    def parameter(self, entry: _Node, name: str, packet: str, t: _Type, bit: int) -> Parameter:
        byte = bit // 8
        aligned = bit % 8 == 0 and t.size_bits in CONTAINER_BITS
        if t.is_ieee_float:
            if not aligned:
                raise self.fail(entry, "IEEE754 floats must be byte-aligned")
            encoding, bit_offset, bit_length = f"f{t.size_bits}", None, None
        else:
            prefix = "i" if (t.signed and t.kind == "int") or (t.signed and t.kind == "float") else "u"
            if aligned:
                encoding, bit_offset, bit_length = f"{prefix}{t.size_bits}", None, None
            else:
                if t.byte_order == "little":
                    raise self.fail(entry, "little-endian fields must be byte-aligned 8/16/32/64 bits")
                end = bit - byte * 8 + t.size_bits
                container = next((c for c in CONTAINER_BITS if c >= end), None)
                if container is None:
                    raise self.fail(entry, "bit field spans more than 64 bits")
                encoding, bit_offset, bit_length = f"{prefix}{container}", container - end, t.size_bits
        vtype = t.kind if t.kind in ("enum", "bool") else encoding
        if t.kind in ("enum", "bool"):
            encoding = "u" + encoding[1:]
        return Parameter(
            name=name,
            packet=packet,
            type=vtype,
            encoding=encoding,
            offset_bytes=byte,
            byte_order=t.byte_order,
            unit=t.unit,
            bit_offset=bit_offset,
            bit_length=bit_length,
            calibration=t.calibration,
            enumeration=t.enumeration,
            limits=t.limits,
        )


def _comparisons(base: _Node) -> list[_Node]:
    criteria = base.child("RestrictionCriteria")
    if criteria is None:
        return []
    found = criteria.all("Comparison")
    listed = criteria.child("ComparisonList")
    if listed is not None:
        found += listed.all("Comparison")
    return found


def load_xtce(
    path: str | Path, *, default_period_s: float = 10.0, mode_parameter: str | None = None
) -> TelemetryDictionary:
    """A TelemetryDictionary from an XTCE file (packet periods default to `default_period_s`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise XtceError(f"{path}:1: file: cannot read ({exc.strerror})") from None
    return _Importer(text, str(path), default_period_s, mode_parameter).load()
