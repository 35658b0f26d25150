"""Plans out (and JSON back in): table, CSV, JSON, iCalendar (RFC 5545), CCSDS Simple Schedule Format.

Times are UTC. JSON and CSV use ISO 8601 ending in `Z`; the CCSDS Simple Schedule Format (CCSDS
902.1-B-1) uses CCSDS ASCII time code B (day of year, `YYYY-DDDThh:mm:ss.sssZ`).
"""

from __future__ import annotations

import csv
import io
import json
import math
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar

from groundstation import __version__
from groundstation.planning.model import Contact, Plan, PlanningProblem, Unmet

JSON_FORMAT_VERSION = 1
SSF_NAMESPACE = "urn:ccsds:schema:cssm:1.0.0"
SSF_SCHEMA_LOCATION = f"{SSF_NAMESPACE} 902x01b1TC1-SmplSchd.xsd"
ICAL_PRODID = f"-//groundstation//pass planner {__version__}//EN"
CSV_FIELDS = ("station", "antenna", "norad_id", "start", "end", "duration_s")


def iso_z(moment: datetime) -> str:
    """ISO 8601 UTC with a `Z`, whole seconds when the time has no fraction."""
    text = moment.astimezone(UTC).replace(tzinfo=None).isoformat()
    return text + "Z"


def parse_iso_z(text: str, where: str) -> datetime:
    if not text.endswith("Z"):
        raise ValueError(f"{where}: time {text!r} must be UTC ending in Z")
    moment = datetime.fromisoformat(text[:-1] + "+00:00")
    return moment.astimezone(UTC)


def ccsds_time_b(moment: datetime) -> str:
    """CCSDS ASCII time code B: `YYYY-DDDThh:mm:ss.sssZ`."""
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%jT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


# ----------------------------------------------------------------------------------------- table


def to_table(plan: Plan, problem: PlanningProblem | None = None) -> str:
    names = {n.norad_id: n.label for n in problem.nodes} if problem else {}
    rows = [("STATION", "ANT", "NODE", "START (UTC)", "END (UTC)", "DUR s")]
    for c in plan.contacts:
        rows.append(
            (
                c.station,
                str(c.antenna),
                names.get(c.norad_id, str(c.norad_id)),
                iso_z(c.start),
                iso_z(c.end),
                f"{c.duration_s:.0f}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    gap = "unknown" if plan.gap is None else f"{plan.gap:.4%}"
    lines.append("")
    lines.append(
        f"{len(plan.contacts)} contacts, solver {plan.solver} ({plan.status}), "
        f"objective {plan.objective:.1f}, gap {gap}"
    )
    for u in plan.unmet:
        day = f" {u.day_start:%Y-%m-%d %H:%M}" if u.day_start else ""
        lines.append(f"unmet: {names.get(u.norad_id, u.norad_id)} {u.requirement}{day}: {u.reason}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------- CSV


def to_csv(plan: Plan) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for c in plan.contacts:
        writer.writerow(
            [c.station, c.antenna, c.norad_id, iso_z(c.start), iso_z(c.end), f"{c.duration_s:.0f}"]
        )
    return out.getvalue()


# ------------------------------------------------------------------------------------------ JSON


def _finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def to_json(plan: Plan) -> str:
    document: dict[str, Any] = {
        "format": "groundstation-plan",
        "version": JSON_FORMAT_VERSION,
        "start": iso_z(plan.start),
        "end": iso_z(plan.end),
        "solver": plan.solver,
        "status": plan.status,
        "objective": plan.objective,
        "bound": _finite_or_none(plan.bound),
        "gap": _finite_or_none(plan.gap),
        "contacts": [
            {
                "station": c.station,
                "antenna": c.antenna,
                "norad_id": c.norad_id,
                "start": iso_z(c.start),
                "end": iso_z(c.end),
            }
            for c in plan.contacts
        ],
        "unmet": [
            {
                "norad_id": u.norad_id,
                "requirement": u.requirement,
                "day_start": iso_z(u.day_start) if u.day_start else None,
                "wanted": u.wanted,
                "got": u.got,
                "reason": u.reason,
            }
            for u in plan.unmet
        ],
        "stats": dict(plan.stats),
    }
    return json.dumps(document, indent=2) + "\n"


def _field(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in obj:
        raise ValueError(f"{where}: missing {key!r}")
    value = obj[key]
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        raise ValueError(f"{where}: {key!r} has the wrong type ({type(value).__name__})")
    return value


def from_json(text: str) -> Plan:
    """A plan written by `to_json`. Raises ValueError naming the field on bad input."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"line {exc.lineno}: not JSON ({exc.msg})") from exc
    if not isinstance(doc, dict) or doc.get("format") != "groundstation-plan":
        raise ValueError('not a groundstation plan (missing "format": "groundstation-plan")')
    if doc.get("version") != JSON_FORMAT_VERSION:
        raise ValueError(f"unsupported plan version {doc.get('version')!r}")
    contacts = []
    for i, item in enumerate(_field(doc, "contacts", list, "plan")):
        where = f"contacts[{i}]"
        if not isinstance(item, dict):
            raise ValueError(f"{where}: not an object")
        contacts.append(
            Contact(
                station=_field(item, "station", str, where),
                antenna=_field(item, "antenna", int, where),
                norad_id=_field(item, "norad_id", int, where),
                start=parse_iso_z(_field(item, "start", str, where), where),
                end=parse_iso_z(_field(item, "end", str, where), where),
            )
        )
    unmet = []
    for i, item in enumerate(_field(doc, "unmet", list, "plan")):
        where = f"unmet[{i}]"
        day = item.get("day_start")
        unmet.append(
            Unmet(
                norad_id=_field(item, "norad_id", int, where),
                requirement=_field(item, "requirement", str, where),
                day_start=parse_iso_z(day, where) if day is not None else None,
                wanted=_field(item, "wanted", int, where),
                got=_field(item, "got", int, where),
                reason=_field(item, "reason", str, where),
            )
        )
    bound = doc.get("bound")
    gap = doc.get("gap")
    stats = _field(doc, "stats", dict, "plan")
    return Plan(
        start=parse_iso_z(_field(doc, "start", str, "plan"), "plan"),
        end=parse_iso_z(_field(doc, "end", str, "plan"), "plan"),
        solver=_field(doc, "solver", str, "plan"),
        status=_field(doc, "status", str, "plan"),
        contacts=tuple(contacts),
        objective=float(_field(doc, "objective", (int, float), "plan")),
        bound=None if bound is None else float(bound),
        gap=None if gap is None else float(gap),
        unmet=tuple(unmet),
        stats=tuple((str(k), float(v)) for k, v in stats.items()),
    )


# ------------------------------------------------------------------------------------ iCalendar


def to_ics(plan: Plan, problem: PlanningProblem | None = None, *, generated: datetime | None = None) -> str:
    """One VEVENT per contact, times in UTC. `generated` is DTSTAMP (default: the plan start)."""
    names = {n.norad_id: n.label for n in problem.nodes} if problem else {}
    stamp = (generated or plan.start).astimezone(UTC)
    calendar = icalendar.Calendar()
    calendar.add("prodid", ICAL_PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    for c in plan.contacts:
        node = names.get(c.norad_id, f"NORAD {c.norad_id}")
        event = icalendar.Event()
        event.add(
            "uid", f"{c.start:%Y%m%dT%H%M%SZ}-{c.norad_id}-{_uid_part(c.station)}-{c.antenna}@groundstation"
        )
        event.add("dtstamp", stamp)
        event.add("dtstart", c.start.astimezone(UTC))
        event.add("dtend", c.end.astimezone(UTC))
        event.add("summary", f"{node} via {c.station} antenna {c.antenna}")
        event.add("location", c.station)
        event.add("description", f"NORAD {c.norad_id}, {c.duration_s:.0f} s, antenna {c.antenna}")
        event.add("categories", ["PASS"])
        calendar.add_component(event)
    return str(calendar.to_ical(), "utf-8")


def _uid_part(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text)


# --------------------------------------------------------------------- CCSDS Simple Schedule Format


def to_ccsds_ssf(
    plan: Plan,
    problem: PlanningProblem,
    *,
    generated: datetime | None = None,
    originating_organization: str = "groundstation",
) -> str:
    """The plan as a CCSDS 902.1-B-1 Simple Schedule: one scheduledPackage per node, one
    scheduledActivity per contact. The activity begins with the station's setup time; the track is
    the contact itself. siteRef is the station, apertureRef `station/antenna` (unique network-wide).
    """
    ET.register_namespace("", SSF_NAMESPACE)
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    ET.register_namespace("xsi", xsi)
    q = f"{{{SSF_NAMESPACE}}}"
    root = ET.Element(f"{q}simpleSchedule", {f"{{{xsi}}}schemaLocation": SSF_SCHEMA_LOCATION})
    ET.SubElement(
        root,
        f"{q}simpleScheduleHeader",
        {
            "originatingOrganization": originating_organization,
            "generationTime": ccsds_time_b(generated or plan.start),
            "status": "OPERATIONAL",
            "version": "1",
            "startTime": ccsds_time_b(plan.start),
            "endTime": ccsds_time_b(plan.end),
            "inclusionType": "START_INCLUSION",
        },
    )
    stations = {s.name: s for s in problem.stations}
    nodes = {n.norad_id: n for n in problem.nodes}
    by_node: dict[int, list[Contact]] = defaultdict(list)
    for c in plan.contacts:
        by_node[c.norad_id].append(c)
    for norad_id in sorted(by_node):
        node = nodes.get(norad_id)
        user = node.name if node and node.name else f"NORAD-{norad_id}"
        package_id = f"PLAN-{plan.start:%Y%m%dT%H%M%S}-{norad_id}"
        package = ET.SubElement(
            root,
            f"{q}scheduledPackage",
            {"scheduledPackageId": package_id, "user": user[:16], "comment": f"NORAD {norad_id}"},
        )
        for i, c in enumerate(sorted(by_node[norad_id], key=lambda c: c.start)):
            station = stations.get(c.station)
            setup = timedelta(seconds=station.setup_s if station else 0)
            activity = ET.SubElement(
                package,
                f"{q}scheduledActivity",
                {
                    "scheduledActivityId": f"{package_id}-{i + 1:04d}",
                    "activityStatus": "COMMITTED",
                    "siteRef": c.station,
                    "apertureRef": f"{c.station}/{c.antenna}",
                    "beginningOfActivity": ccsds_time_b(c.start - setup),
                    "beginningOfTrack": ccsds_time_b(c.start),
                    "endOfTrack": ccsds_time_b(c.end),
                    "endOfActivity": ccsds_time_b(c.end),
                },
            )
            ET.SubElement(activity, f"{q}serviceInfo", {"serviceType": "TELEMETRY", "frequencyBand": "N/A"})
            if node and node.needs_uplink and station and station.transmit:
                ET.SubElement(
                    activity, f"{q}serviceInfo", {"serviceType": "TELECOMMAND", "frequencyBand": "N/A"}
                )
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
