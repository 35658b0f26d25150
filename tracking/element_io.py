"""Reading and writing element files: TLE, 3LE and CelesTrak OMM (CSV, JSON, XML), detected by content.

A malformed entry is skipped and reported as `source:line: reason`; everything else still loads.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from xml.parsers import expat
from xml.sax.saxutils import escape

from tracking.elements import Elements
from tracking.omm import OMM_KEYS, REQUIRED_KEYS, OmmFieldError, elements_from_omm, omm_record
from tracking.tle import TleLineError, format_tle, parse_tle

# Formats we write; the reader also recognises "tle-json" (SatNOGS DB's JSON: tle0/tle1/tle2 objects).
FORMATS: tuple[str, ...] = ("tle", "3le", "omm-csv", "omm-json", "omm-xml")
_WHITESPACE = re.compile(r"\s*")


@dataclass(frozen=True)
class Rejection:
    """An entry that was skipped: where it is and why."""

    source: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}"


@dataclass(frozen=True)
class ElementsReadResult:
    """What one file gave: the element sets in file order, the rejected entries, the detected format.

    `lines[i]` is the line where `elements[i]` starts (its name line, TLE line 1, CSV row, JSON
    object or XML segment), so callers can go back to the source.
    """

    elements: tuple[Elements, ...]
    rejected: tuple[Rejection, ...]
    format: str
    source: str = ""
    lines: tuple[int, ...] = field(default=(), compare=False)


class ElementsFileError(ValueError):
    """The whole file is unusable (unreadable, or not an element format); str() is `source:line: reason`."""


def read_elements(path: str | Path, *, verify_checksum: bool = True) -> ElementsReadResult:
    """Read one element file; the source named in rejections is the path as given."""
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ElementsFileError(f"{source}: cannot read: {exc.strerror or exc}") from None
    return parse_elements(data.decode("utf-8-sig", errors="replace"), source, verify_checksum=verify_checksum)


def detect_format(text: str) -> str:
    """'tle' (2-line or 3LE, told apart while reading), 'omm-csv', 'omm-json' or 'omm-xml'."""
    head = text[:4096].lstrip("\ufeff \t\r\n")
    if head.startswith(("[", "{")):
        return "omm-json"
    if head.startswith("<"):
        return "omm-xml"
    first_line = head.split("\n", 1)[0]
    if "NORAD_CAT_ID" in first_line and "," in first_line:
        return "omm-csv"
    return "tle"


def parse_elements(text: str, source: str, *, verify_checksum: bool = True) -> ElementsReadResult:
    """Parse element text whose format is detected by content; `source` names it in rejections.

    `verify_checksum=False` accepts TLE lines whose checksum is wrong (Vallado's verification file
    has such cases on purpose); every other check still applies.
    """
    kind = detect_format(text)
    if kind == "omm-json":
        return _read_json(text, source)
    if kind == "omm-xml":
        return _read_xml(text, source)
    if kind == "omm-csv":
        return _read_csv(text, source)
    return _read_tle(text, source, verify_checksum)


def _strip_zero(name_line: str) -> str:
    # Space-Track's and SatNOGS' 3LE prefix names with "0 ".
    return (name_line[2:] if name_line.startswith("0 ") else name_line).strip()


def _read_tle(text: str, source: str, verify_checksum: bool) -> ElementsReadResult:
    elements: list[Elements] = []
    starts: list[int] = []
    rejected: list[Rejection] = []
    lines = text.splitlines()
    count = len(lines)
    name: str | None = None
    name_line = 0
    named = False
    i = 0
    while i < count:
        line = lines[i].rstrip()
        if not line or line.startswith("#"):
            i += 1
            continue
        if line.startswith("1 "):
            following = lines[i + 1].rstrip() if i + 1 < count else ""
            if not following.startswith("2 "):
                rejected.append(Rejection(source, i + 1, "TLE line 1 is not followed by line 2"))
                i += 1
            else:
                try:
                    elements.append(parse_tle(line, following, name or "", verify_checksum=verify_checksum))
                    starts.append(name_line if name is not None else i + 1)
                    named = named or name is not None
                except TleLineError as exc:
                    rejected.append(Rejection(source, i + 1 + exc.line_index, str(exc)))
                i += 2
            name = None
            continue
        if line.startswith("2 "):
            rejected.append(Rejection(source, i + 1, "TLE line 2 without line 1"))
        else:
            if name is not None:
                rejected.append(Rejection(source, name_line, f"name line {name!r} without TLE lines"))
            name = _strip_zero(line)
            name_line = i + 1
        i += 1
    if name is not None:
        rejected.append(Rejection(source, name_line, f"name line {name!r} without TLE lines"))
    kind = "3le" if named else "tle"
    return ElementsReadResult(tuple(elements), tuple(rejected), kind, source, tuple(starts))



def _read_csv(text: str, source: str) -> ElementsReadResult:
    reader = csv.reader(io.StringIO(text, newline=None))
    try:
        header = [key.strip().lstrip("\ufeff") for key in next(reader)]
    except csv.Error as exc:
        raise ElementsFileError(f"{source}:1: bad OMM CSV header ({exc})") from None
    missing = [key for key in REQUIRED_KEYS if key not in header]
    if missing:
        raise ElementsFileError(f"{source}:1: OMM CSV header lacks {', '.join(missing)}")
    width = len(header)
    elements: list[Elements] = []
    starts: list[int] = []
    rejected: list[Rejection] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            rejected.append(Rejection(source, reader.line_num, f"bad CSV row ({exc})"))
            continue
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != width:
            rejected.append(
                Rejection(source, reader.line_num, f"row has {len(row)} fields, header has {width}")
            )
            continue
        try:
            elements.append(elements_from_omm(dict(zip(header, row, strict=True))))
            starts.append(reader.line_num)
        except OmmFieldError as exc:
            rejected.append(Rejection(source, reader.line_num, str(exc)))
    return ElementsReadResult(tuple(elements), tuple(rejected), "omm-csv", source, tuple(starts))


def _read_json(text: str, source: str) -> ElementsReadResult:
    decoder = json.JSONDecoder()
    elements: list[Elements] = []
    starts: list[int] = []
    rejected: list[Rejection] = []
    line = 1
    counted_to = 0

    def line_at(position: int) -> int:
        nonlocal line, counted_to
        line += text.count("\n", counted_to, position)
        counted_to = position
        return line

    tle_objects = [0]

    def take(record: object, position: int) -> None:
        at = line_at(position)
        if not isinstance(record, dict):
            rejected.append(Rejection(source, at, f"expected an OMM object, got {type(record).__name__}"))
            return
        if "tle1" in record and "tle2" in record:  # SatNOGS DB's JSON: {"tle0", "tle1", "tle2", ...}
            tle_objects[0] += 1
            name = str(record.get("tle0") or "").strip()
            try:
                elements.append(
                    parse_tle(str(record["tle1"]).rstrip(), str(record["tle2"]).rstrip(), _strip_zero(name))
                )
                starts.append(at)
            except TleLineError as exc:
                rejected.append(Rejection(source, at, f"tle{exc.line_index + 1}: {exc}"))
            return
        try:
            elements.append(elements_from_omm(record))
            starts.append(at)
        except OmmFieldError as exc:
            rejected.append(Rejection(source, at, str(exc)))

    position = _WHITESPACE.match(text).end()  # type: ignore[union-attr]
    if text.startswith("\ufeff", position):
        position = _WHITESPACE.match(text, position + 1).end()  # type: ignore[union-attr]
    try:
        if text.startswith("{", position):
            record, end = decoder.raw_decode(text, position)
            take(record, position)
            position = end
        else:
            position = _WHITESPACE.match(text, position + 1).end()  # type: ignore[union-attr]
            if text.startswith("]", position):
                position += 1
            else:
                while True:
                    record, end = decoder.raw_decode(text, position)
                    take(record, position)
                    position = _WHITESPACE.match(text, end).end()  # type: ignore[union-attr]
                    if text.startswith(",", position):
                        position = _WHITESPACE.match(text, position + 1).end()  # type: ignore[union-attr]
                    elif text.startswith("]", position):
                        position += 1
                        break
                    else:
                        raise json.JSONDecodeError("expected ',' or ']'", text, position)
        position = _WHITESPACE.match(text, position).end()  # type: ignore[union-attr]
        if position < len(text):
            raise json.JSONDecodeError("extra data after the array", text, position)
    except json.JSONDecodeError as exc:
        rejected.append(Rejection(source, exc.lineno, f"invalid JSON ({exc.msg}); the rest is skipped"))
    except (ValueError, RecursionError) as exc:  # over-long integers, absurd nesting
        reason = str(exc).split(";")[0]
        rejected.append(Rejection(source, line_at(position), f"invalid JSON ({reason}); the rest is skipped"))
    kind = "tle-json" if tle_objects[0] and tle_objects[0] == len(elements) + len(rejected) else "omm-json"
    return ElementsReadResult(tuple(elements), tuple(rejected), kind, source, tuple(starts))


class _XmlRefusedError(Exception):
    pass


def _read_xml(text: str, source: str) -> ElementsReadResult:
    parser = expat.ParserCreate()
    elements: list[Elements] = []
    starts: list[int] = []
    rejected: list[Rejection] = []
    fields: dict[str, object] | None = None
    field_lines: dict[str, int] = {}
    segment_line = 0
    current: str | None = None
    chunks: list[str] = []

    def start(tag: str, _attributes: dict[str, str]) -> None:
        nonlocal fields, segment_line, current
        local = tag.rpartition(":")[2]
        if local == "segment":
            fields, segment_line = {}, parser.CurrentLineNumber
            field_lines.clear()
        elif fields is not None:
            current = local
            field_lines[local] = parser.CurrentLineNumber
            chunks.clear()

    def end(tag: str) -> None:
        nonlocal fields, current
        local = tag.rpartition(":")[2]
        if local == "segment" and fields is not None:
            try:
                elements.append(elements_from_omm(fields))
                starts.append(segment_line)
            except OmmFieldError as exc:
                rejected.append(Rejection(source, field_lines.get(exc.field, segment_line), str(exc)))
            fields = None
        elif fields is not None and local == current:
            fields[local] = "".join(chunks).strip()
            current = None

    def data(chunk: str) -> None:
        if current is not None:
            chunks.append(chunk)

    def refuse_entities(*_args: object) -> None:
        # OMM never declares entities; refusing them rules out entity-expansion attacks.
        raise _XmlRefusedError("XML entity declarations are not allowed")

    parser.EntityDeclHandler = refuse_entities
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        rejected.append(
            Rejection(source, exc.lineno, f"invalid XML ({expat.ErrorString(exc.code)}); the rest is skipped")
        )
    except _XmlRefusedError as exc:
        rejected.append(Rejection(source, parser.CurrentLineNumber, f"{exc}; the rest is skipped"))
    return ElementsReadResult(tuple(elements), tuple(rejected), "omm-xml", source, tuple(starts))


def stale_elements(elements: Iterable[Elements], at: datetime, max_age_days: float) -> tuple[Elements, ...]:
    """The element sets older than `max_age_days` at `at` (future epochs are not stale)."""
    return tuple(item for item in elements if item.age_days(at) > max_age_days)


def latest_per_object(elements: Iterable[Elements]) -> tuple[Elements, ...]:
    """One element set per catalog number, the newest epoch winning; order of first appearance."""
    newest: dict[int, Elements] = {}
    for item in elements:
        held = newest.get(item.norad_id)
        if held is None or item.epoch > held.epoch:
            newest[item.norad_id] = item
    return tuple(newest.values())


# ---- writers ----------------------------------------------------------------------------------


def format_tle_text(elements: Iterable[Elements], *, names: bool = True) -> str:
    """TLE text: 3LE (name line + two lines) by default, plain 2-line with `names=False`.

    Raises ValueError naming the object when one cannot be written as a TLE (catalog > 339999).
    """
    out: list[str] = []
    for item in elements:
        try:
            line1, line2 = format_tle(item)
        except ValueError as exc:
            raise ValueError(f"{item.norad_id} {item.name}: {exc}") from None
        if names:
            out.append(item.name or f"OBJECT {item.norad_id}")
        out += (line1, line2)
    return "".join(line + "\n" for line in out)


def format_omm_csv(elements: Iterable[Elements]) -> str:
    """CelesTrak-style OMM CSV (header + one row per element set)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(OMM_KEYS)
    for item in elements:
        writer.writerow([str(value) for value in omm_record(item).values()])
    return buffer.getvalue()


def format_omm_json(elements: Iterable[Elements]) -> str:
    """CelesTrak-style OMM JSON: an array of objects, numbers as numbers."""
    return json.dumps([omm_record(item) for item in elements], indent=2) + "\n"


_XML_METADATA = ("OBJECT_NAME", "OBJECT_ID")
_XML_MEAN_ELEMENTS = (
    "EPOCH",
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
)
_XML_TLE_PARAMETERS = (
    "EPHEMERIS_TYPE",
    "CLASSIFICATION_TYPE",
    "NORAD_CAT_ID",
    "ELEMENT_SET_NO",
    "REV_AT_EPOCH",
    "BSTAR",
    "MEAN_MOTION_DOT",
    "MEAN_MOTION_DDOT",
)


def _xml_segments(elements: Iterable[Elements]) -> Iterator[str]:
    for item in elements:
        record = omm_record(item)

        def group(keys: tuple[str, ...], record: dict[str, str | int | float] = record) -> str:
            return "".join(f"<{key}>{escape(str(record[key]))}</{key}>" for key in keys)

        yield (
            '<omm id="CCSDS_OMM_VERS" version="2.0">\n<header><CREATION_DATE/><ORIGINATOR/></header>\n'
            f"<body><segment><metadata>{group(_XML_METADATA)}<CENTER_NAME>EARTH</CENTER_NAME>"
            "<REF_FRAME>TEME</REF_FRAME><TIME_SYSTEM>UTC</TIME_SYSTEM>"
            "<MEAN_ELEMENT_THEORY>SGP4</MEAN_ELEMENT_THEORY></metadata>\n"
            f"<data><meanElements>{group(_XML_MEAN_ELEMENTS)}</meanElements>"
            f"<tleParameters>{group(_XML_TLE_PARAMETERS)}</tleParameters></data></segment></body></omm>\n"
        )


def format_omm_xml(elements: Iterable[Elements]) -> str:
    """CCSDS NDM/OMM XML as CelesTrak serves it (one <omm> per element set inside <ndm>)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ndm xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:noNamespaceSchemaLocation="https://sanaregistry.org/r/ndmxml_unqualified/'
        'ndmxml-2.0.0-master-2.0.xsd">\n' + "".join(_xml_segments(elements)) + "</ndm>\n"
    )


def format_elements(elements: Iterable[Elements], fmt: str) -> str:
    """Text in one of FORMATS ('tle' is 2-line without names, '3le' adds name lines)."""
    if fmt == "tle":
        return format_tle_text(elements, names=False)
    if fmt == "3le":
        return format_tle_text(elements, names=True)
    if fmt == "omm-csv":
        return format_omm_csv(elements)
    if fmt == "omm-json":
        return format_omm_json(elements)
    if fmt == "omm-xml":
        return format_omm_xml(elements)
    raise ValueError(f"unknown element format {fmt!r} (choose from {', '.join(FORMATS)})")
