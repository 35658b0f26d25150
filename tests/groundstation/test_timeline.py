"""The pass timeline's model: planning the demo, the rows and bars, filters and exports (read back
with the csv module, icalendar, ElementTree and the planner's own JSON reader)."""

import csv
import io
import itertools
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import UTC, datetime

import icalendar
import pytest

from groundstation.app_settings import AppSettings
from groundstation.planning.export import SSF_NAMESPACE, from_json
from groundstation.scene import load_scene
from groundstation.timeline import (
    CONTACT_SHARE,
    DEFAULT_CONTACTS_PER_DAY,
    EXPORT_FORMATS,
    ROW_HEIGHT,
    TimelineFilter,
    build_timeline,
    contact_elevation,
    export_plan,
    plan_network,
)

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
HOURS = 8.0


@pytest.fixture(scope="module")
def network():
    settings = AppSettings.demo()
    return plan_network(load_scene(settings, T0), settings, T0, hours=HOURS)


def test_every_contact_is_inside_a_pass_and_antennas_never_double_book(network):
    plan, problem = network.plan, network.problem
    assert plan.status == "optimal"
    assert len(plan.contacts) > 50
    by_antenna = defaultdict(list)
    for contact in plan.contacts:
        assert contact_elevation(contact, problem.opportunities) > 0.0
        by_antenna[(contact.station, contact.antenna)].append((contact.start, contact.end))
    for spans in by_antenna.values():
        spans.sort()
        assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(spans))
    assert {n.contacts_per_day for n in problem.nodes} == {DEFAULT_CONTACTS_PER_DAY}
    assert {n.norad_id for n in problem.nodes} == set(range(900, 924))


def test_greedy_planning_is_never_better_than_optimal(network):
    settings = AppSettings.demo()
    greedy = plan_network(load_scene(settings, T0), settings, T0, hours=HOURS, solver="greedy")
    assert greedy.plan.solver == "greedy"
    assert greedy.plan.objective <= network.plan.objective
    with pytest.raises(ValueError, match="solver must be one of"):
        plan_network(load_scene(settings, T0), settings, T0, solver="fastest")


def test_rows_hold_their_bars_and_lanes_do_not_overlap(network):
    timeline = build_timeline(network, TimelineFilter())
    assert [r.station for r in timeline.rows] == [s.name for s in AppSettings.demo().stations]
    assert len(timeline.passes) == len(network.problem.opportunities)
    assert len(timeline.contacts) == len(network.plan.contacts)
    for row in timeline.rows:
        contacts = [i for i in range(len(timeline.contacts)) if timeline.contacts.station[i] == row.station]
        passes = [i for i in range(len(timeline.passes)) if timeline.passes.station[i] == row.station]
        for i in contacts:  # contacts in the upper part of the row
            assert row.y0 <= timeline.contacts.y0[i]
            assert (
                timeline.contacts.y0[i] + timeline.contacts.height[i] <= row.y0 + CONTACT_SHARE * ROW_HEIGHT
            )
        lanes = defaultdict(list)
        for i in passes:  # passes below them, in lanes that never overlap
            assert timeline.passes.y0[i] >= row.y0 + CONTACT_SHARE * ROW_HEIGHT
            assert timeline.passes.y0[i] + timeline.passes.height[i] <= row.y0 + row.height
            lanes[float(timeline.passes.y0[i])].append((timeline.passes.start_s[i], timeline.passes.end_s[i]))
        for spans in lanes.values():
            spans.sort()
            assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


def test_filters_by_node_station_and_minimum_elevation(network):
    everything = build_timeline(network, TimelineFilter())
    one_node = build_timeline(network, TimelineFilter(node=905))
    assert set(one_node.passes.norad_id.tolist()) == {905}
    assert set(one_node.contacts.norad_id.tolist()) <= {905}
    assert len(one_node.rows) == len(everything.rows)
    delft = build_timeline(network, TimelineFilter(station="Delft"))
    assert [r.station for r in delft.rows] == ["Delft"]
    assert set(delft.passes.station) == {"Delft"}
    high = build_timeline(network, TimelineFilter(min_elevation_deg=45.0))
    assert 0 < len(high.passes) < len(everything.passes)
    assert (high.passes.max_elevation_deg >= 45.0).all()
    assert (high.contacts.max_elevation_deg >= 45.0).all()
    expected = sum(p.max_elevation_deg >= 45.0 for p in network.problem.opportunities)
    assert len(high.passes) == expected


def test_a_bar_is_found_under_its_own_middle(network):
    timeline = build_timeline(network, TimelineFilter())
    bars = timeline.contacts
    for i in range(0, len(bars), 17):
        x = (bars.start_s[i] + bars.end_s[i]) / 2
        y = bars.y0[i] + bars.height[i] / 2
        assert bars.at(x, y) == i
    assert bars.at(bars.start_s.min() - 60.0, 0.1) is None


def test_exports_read_back_with_independent_readers(network):
    contacts = network.plan.contacts
    rows = list(csv.DictReader(io.StringIO(export_plan(network, "csv", T0))))
    assert [(r["station"], int(r["norad_id"])) for r in rows] == [(c.station, c.norad_id) for c in contacts]
    assert from_json(export_plan(network, "json", T0)) == network.plan
    calendar = icalendar.Calendar.from_ical(export_plan(network, "ics", T0))
    events = list(calendar.walk("VEVENT"))
    assert len(events) == len(contacts)
    assert {e.decoded("dtstart") for e in events} == {c.start for c in contacts}
    root = ET.fromstring(export_plan(network, "ccsds-ssf", T0))
    assert len(root.findall(f".//{{{SSF_NAMESPACE}}}scheduledActivity")) == len(contacts)
    assert set(EXPORT_FORMATS) == {"csv", "json", "ics", "ccsds-ssf"}
    with pytest.raises(ValueError, match="unknown export format"):
        export_plan(network, "pdf", T0)
