"""Exports: CSV, JSON (round trip), iCalendar parsed back by `icalendar`, and CCSDS SSF structure."""

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from groundstation.planning.export import (
    SSF_NAMESPACE,
    from_json,
    to_ccsds_ssf,
    to_csv,
    to_ics,
    to_json,
    to_table,
)
from groundstation.planning.model import NodeRequest, Opportunity, PlanningProblem, Station, TimeWindow
from groundstation.planning.solver import plan_optimal
from tests.groundstation.planning.validator import T0

GENERATED = datetime(2026, 11, 21, 18, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def planned():
    stations = (
        Station("Delft", 52.0, 4.37, antennas=2, setup_s=120, transmit=True),
        Station("Kiruna, SE", 67.86, 20.96, setup_s=60),
    )
    nodes = (
        NodeRequest(900, priority=3, min_contact_s=120, name="ALPHA", needs_uplink=True),
        NodeRequest(901, priority=1, min_contact_s=60, contacts_per_day=2),
        NodeRequest(902, priority=2, min_contact_s=60),
    )
    opps = []
    for k, norad in enumerate((900, 901, 902)):
        for base in (600, 7000, 40000):
            start = T0 + timedelta(seconds=base + 90 * k)
            opps.append(
                Opportunity.whole_pass("Delft", norad, start, start + timedelta(seconds=480 + 30 * k))
            )
            opps.append(
                Opportunity.whole_pass(
                    "Kiruna, SE", norad, start + timedelta(seconds=200), start + timedelta(seconds=700)
                )
            )
    problem = PlanningProblem(T0, T0 + timedelta(hours=24), stations, nodes, tuple(opps))
    plan = plan_optimal(problem)
    assert len(plan.contacts) >= 6
    return problem, plan


def test_json_has_the_contract_fields_and_reads_back(planned):
    _, plan = planned
    text = to_json(plan)
    doc = json.loads(text)
    assert {"contacts", "objective", "gap", "unmet"} <= set(doc)
    assert doc["objective"] == plan.objective
    for item, contact in zip(doc["contacts"], plan.contacts, strict=True):
        assert set(item) == {"station", "antenna", "norad_id", "start", "end"}
        assert isinstance(item["antenna"], int)
        assert item["antenna"] >= 0
        assert item["start"].endswith("Z")
        assert item["end"].endswith("Z")
        assert datetime.fromisoformat(item["start"].replace("Z", "+00:00")) == contact.start
    assert from_json(text) == plan


def test_json_reader_names_the_bad_field(planned):
    _, plan = planned
    doc = json.loads(to_json(plan))
    doc["contacts"][1]["antenna"] = "zero"
    with pytest.raises(ValueError, match=r"contacts\[1\]: 'antenna' has the wrong type"):
        from_json(json.dumps(doc))
    doc = json.loads(to_json(plan))
    doc["contacts"][0]["start"] = "2026-11-22T00:10:00+01:00"
    with pytest.raises(ValueError, match=r"contacts\[0\]: time .* must be UTC ending in Z"):
        from_json(json.dumps(doc))
    with pytest.raises(ValueError, match="line 1: not JSON"):
        from_json("{")


def test_csv_rows_are_the_contacts(planned):
    _, plan = planned
    rows = list(csv.DictReader(io.StringIO(to_csv(plan))))
    assert len(rows) == len(plan.contacts)
    for row, contact in zip(rows, plan.contacts, strict=True):
        assert row["station"] == contact.station  # "Kiruna, SE" survives the comma
        assert int(row["antenna"]) == contact.antenna
        assert int(row["norad_id"]) == contact.norad_id
        assert datetime.fromisoformat(row["end"].replace("Z", "+00:00")) == contact.end
        assert float(row["duration_s"]) == contact.duration_s


def test_table_lists_contacts_and_summary(planned):
    problem, plan = planned
    text = to_table(plan, problem)
    assert text.count("ALPHA") == len(plan.contacts_of(900))
    assert f"{len(plan.contacts)} contacts, solver optimal (optimal)" in text


def test_icalendar_parses_back_one_utc_event_per_contact(planned):
    problem, plan = planned
    text = to_ics(plan, problem, generated=GENERATED)
    # RFC 5545 §3.1: lines end in CRLF and fold at 75 octets.
    assert "\r\n" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    calendar = icalendar.Calendar.from_ical(text)
    assert str(calendar["VERSION"]) == "2.0"
    assert "PRODID" in calendar
    events = list(calendar.walk("VEVENT"))
    assert len(events) == len(plan.contacts)
    uids = set()
    for event, contact in zip(events, plan.contacts, strict=True):
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert (start, end) == (contact.start, contact.end)
        assert start.utcoffset() == timedelta(0)
        assert event.decoded("DTSTAMP") == GENERATED
        assert str(event["LOCATION"]) == contact.station
        uids.add(str(event["UID"]))
    assert len(uids) == len(events)


# CCSDS 902.1-B-1 (Simple Schedule Format), as its XML schema 902x01b1TC1-SmplSchd.xsd lays it out:
# a simpleSchedule holds one simpleScheduleHeader and scheduledPackages; a package (per user) holds
# an optional servicePackageXRef and scheduledActivities; an activity holds serviceInfo elements.
# Times are CCSDS ASCII time code B. The enumerations below are those used by independent producers
# of the format (ESA's Dr Orbiteex exporter; a ground-station provider's schedule for NASA's IMAP).
SSF_TIME_B = re.compile(
    r"^\d{4}-(00[1-9]|0[1-9]\d|[1-2]\d\d|3[0-5]\d|36[0-6])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?Z$"
)
SSF_STRUCTURE = {
    "simpleScheduleHeader": {
        "required": {
            "originatingOrganization", "generationTime", "status", "version", "startTime", "endTime",
        },
        "optional": {"inclusionType", "comment"},
        "enums": {
            "status": {"OPERATIONAL", "TEST", "PROVISIONAL", "OTHER"},
            "inclusionType": {"START_INCLUSION", "END_INCLUSION", "OVERLAP_INCLUSION", "FULL_INCLUSION"},
        },
        "times": {"generationTime", "startTime", "endTime"},
    },
    "scheduledPackage": {
        "required": {"scheduledPackageId", "user"},
        "optional": {"comment", "originatingRequestId"},
        "enums": {},
        "times": set(),
    },
    "scheduledActivity": {
        "required": {
            "scheduledActivityId", "activityStatus", "siteRef", "apertureRef",
            "beginningOfTrack", "endOfTrack",
        },
        "optional": {"beginningOfActivity", "endOfActivity", "orbitNumber", "comment"},
        "enums": {"activityStatus": {"COMMITTED", "TENTATIVE", "AVAILABLE", "UNAVAILABLE"}},
        "times": {"beginningOfTrack", "endOfTrack", "beginningOfActivity", "endOfActivity"},
    },
    "serviceInfo": {
        "required": {"serviceType", "frequencyBand"},
        "optional": set(),
        "enums": {
            "serviceType": {
                "TELEMETRY", "TELECOMMAND", "RANGING", "DOPPLER", "APA-AZ/EL", "APA-X/Y", "DELTADOR",
                "OFFLINE-TMRECORDING", "OFFLINE-TMPROVISION", "RF-ONLY", "RESERVED", "TBD", "TEST",
                "UNUSED", "VLBI",
            },
        },
        "times": set(),
    },
}  # fmt: skip


def _time_b(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%jT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def ssf_problems(xml_text: str, namespace: str) -> list[str]:
    """Where a document departs from the Simple Schedule structure (empty when it conforms)."""
    out = []
    q = f"{{{namespace}}}" if namespace else ""
    root = ET.fromstring(xml_text)
    if root.tag != f"{q}simpleSchedule":
        return [f"root is {root.tag}"]

    def check(element: ET.Element, name: str) -> None:
        spec = SSF_STRUCTURE[name]
        attrs = {k for k in element.attrib if not k.startswith("{")}
        out.extend(f"{name}: missing {a}" for a in spec["required"] - attrs)
        out.extend(f"{name}: unexpected {a}" for a in attrs - spec["required"] - spec["optional"])
        for attr, allowed in spec["enums"].items():
            if attr in element.attrib and element.attrib[attr] not in allowed:
                out.append(f"{name}.{attr}: {element.attrib[attr]!r} not allowed")
        for attr in spec["times"]:
            if attr in element.attrib and not SSF_TIME_B.match(element.attrib[attr]):
                out.append(f"{name}.{attr}: {element.attrib[attr]!r} is not CCSDS ASCII time code B")

    children = list(root)
    if not children or children[0].tag != f"{q}simpleScheduleHeader":
        return ["the first child must be simpleScheduleHeader"]
    header = children[0]
    check(header, "simpleScheduleHeader")
    ids = []
    for package in children[1:]:
        if package.tag != f"{q}scheduledPackage":
            out.append(f"unexpected {package.tag}")
            continue
        check(package, "scheduledPackage")
        ids.append(package.get("scheduledPackageId"))
        activities = [a for a in package if a.tag == f"{q}scheduledActivity"]
        others = [a.tag for a in package if a.tag not in {f"{q}scheduledActivity", f"{q}servicePackageXRef"}]
        if not activities or others:
            out.append(f"package {package.get('scheduledPackageId')}: needs activities only, has {others}")
        for activity in activities:
            check(activity, "scheduledActivity")
            ids.append(activity.get("scheduledActivityId"))
            infos = list(activity)
            if not infos or any(i.tag != f"{q}serviceInfo" for i in infos):
                out.append(f"activity {activity.get('scheduledActivityId')}: needs serviceInfo children")
            for info in infos:
                check(info, "serviceInfo")
            a = activity.attrib
            times = [a.get(k, "") for k in SSF_STRUCTURE["scheduledActivity"]["times"] if k in a]
            if not all(SSF_TIME_B.match(t) for t in times):
                continue
            track = (_time_b(a["beginningOfTrack"]), _time_b(a["endOfTrack"]))
            begin = _time_b(a.get("beginningOfActivity", a["beginningOfTrack"]))
            end = _time_b(a.get("endOfActivity", a["endOfTrack"]))
            if not begin <= track[0] < track[1] <= end:
                out.append(f"activity {a['scheduledActivityId']}: times out of order")
            if header.get("inclusionType") == "START_INCLUSION" and not (
                _time_b(header.attrib["startTime"]) <= track[0] <= _time_b(header.attrib["endTime"])
            ):
                out.append(f"activity {a['scheduledActivityId']}: starts outside the schedule period")
    if len(ids) != len(set(ids)):
        out.append("identifiers are not unique")
    return out


# Written from the structure of a provider's published schedule (no namespace, provider values).
THIRD_PARTY_STYLE_SSF = """<?xml version="1.0" encoding="UTF-8"?>
<simpleSchedule>
  <simpleScheduleHeader originatingOrganization="GES" generationTime="2026-300T08:00:00.000Z" version="3"
    startTime="2026-300T08:00:00.000Z" endTime="2026-330T00:00:00.000Z" status="OPERATIONAL"
    inclusionType="OVERLAP_INCLUSION"/>
  <scheduledPackage user="MISSION" comment="" scheduledPackageId="EV-1">
    <scheduledActivity scheduledActivityId="EV-1-A" siteRef="GHY" apertureRef="GHY6"
      beginningOfActivity="2026-301T10:00:00.000Z" endOfActivity="2026-301T12:45:00.000Z"
      beginningOfTrack="2026-301T10:30:00.000Z" endOfTrack="2026-301T12:30:00.000Z"
      activityStatus="COMMITTED">
      <serviceInfo serviceType="TELEMETRY" frequencyBand="N/A"/>
    </scheduledActivity>
  </scheduledPackage>
</simpleSchedule>
"""


def test_ssf_checker_accepts_a_provider_style_schedule_and_catches_faults():
    assert ssf_problems(THIRD_PARTY_STYLE_SSF, "") == []
    broken = THIRD_PARTY_STYLE_SSF.replace('activityStatus="COMMITTED"', 'activityStatus="MAYBE"')
    broken = broken.replace('endOfTrack="2026-301T12:30:00.000Z"', 'endOfTrack="2026-11-28T12:30:00Z"')
    found = ssf_problems(broken, "")
    assert any("activityStatus" in p for p in found)
    assert any("endOfTrack" in p for p in found)


def test_ccsds_ssf_follows_the_standard_structure(planned):
    problem, plan = planned
    text = to_ccsds_ssf(plan, problem, generated=GENERATED)
    assert ssf_problems(text, SSF_NAMESPACE) == []
    root = ET.fromstring(text)
    q = f"{{{SSF_NAMESPACE}}}"
    header = root.find(f"{q}simpleScheduleHeader")
    assert header is not None
    assert header.get("generationTime") == "2026-325T18:30:00.000Z"
    activities = root.findall(f"{q}scheduledPackage/{q}scheduledActivity")
    assert len(activities) == len(plan.contacts)
    delft = problem.station("Delft")
    tracked = set()
    for package in root.findall(f"{q}scheduledPackage"):
        for activity in package.findall(f"{q}scheduledActivity"):
            station, antenna = activity.get("apertureRef", "").rsplit("/", 1)
            assert station == activity.get("siteRef")
            track = (_time_b(activity.attrib["beginningOfTrack"]), _time_b(activity.attrib["endOfTrack"]))
            setup = _time_b(activity.attrib["beginningOfActivity"])
            if station == "Delft":
                assert track[0] - setup == timedelta(seconds=delft.setup_s)
            tracked.add((station, int(antenna), package.get("comment"), track))
    assert tracked == {(c.station, c.antenna, f"NORAD {c.norad_id}", (c.start, c.end)) for c in plan.contacts}
    # ALPHA needs an uplink and Delft transmits: telecommand service too.
    alpha = [p for p in root.findall(f"{q}scheduledPackage") if p.get("user") == "ALPHA"]
    services = {i.get("serviceType") for i in alpha[0].iter(f"{q}serviceInfo")}
    assert services == {"TELEMETRY", "TELECOMMAND"}


def test_blackout_window_value_validates():
    with pytest.raises(ValueError, match="must be after start"):
        TimeWindow(T0, T0)
