"""Three simulated hours of four nodes over the demo stations, end to end: every frame through the
IQ modem and the geometry-driven channel, the demo's governance packets (one forged, one replayed)
decided by the nodes' verifiers, and everything persisted where operators look for it."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from groundstation.cli import main
from groundstation.clock import SimulatedClock
from groundstation.commanding import CommandState, CommandStore
from groundstation.governance.audit import AuditLog
from groundstation.sim.events import (
    BurstHeard,
    CommandChanged,
    NodeStatus,
    PassEnded,
    PassStarted,
    SimEvent,
    TelemetryReceived,
)
from groundstation.sim.scenario import QueuedPacket
from groundstation.sim.simulation import STATUS_PERIOD_S, Simulation, SimulationConfig
from groundstation.sim.summary import SimulationSummary
from groundstation.telemetry.alarms import AlarmKind, AlarmStore, Severity
from groundstation.telemetry.archive import TelemetryArchive
from groundstation.telemetry.dictionary import demo_dictionary
from groundstation.telemetry.service import TelemetryService

START = datetime(2026, 1, 1, tzinfo=UTC)
HOURS = 3.0
NODES = 4
SEED = 1
# Beacons come every telemetry period; the ground stamps a frame when it has heard the whole burst.
BEACON_JITTER_S = 1.0
SETTLED = timedelta(minutes=1)  # after the answers to the uplink, only beacons


@dataclass
class Run:
    planned: list[QueuedPacket]
    events: list[SimEvent]
    summary: SimulationSummary
    db: Path
    workdir: Path
    end: datetime


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    folder = tmp_path_factory.mktemp("sim")
    config = SimulationConfig(
        start=START, database=folder / "sim.db", workdir=folder / "work", nodes=NODES, seed=SEED
    )
    sim = Simulation(config)
    events: list[SimEvent] = []
    sim.subscribe(events.append)
    planned = sim.queue_demo_packets()
    end = START + timedelta(hours=HOURS)
    sim.advance_to(end)
    summary = sim.summary()
    sim.close()
    return Run(planned, events, summary, folder / "sim.db", folder / "work", end)


def commands(run: Run):
    store = CommandStore.open_existing(run.db)
    try:
        return store.commands(), store.transitions()
    finally:
        store.close()


def test_every_packet_ends_as_the_scenario_says(run):
    records, _ = commands(run)
    assert len(records) == len(run.planned)
    outcomes = [
        r.state.value + (f": {r.reason}" if r.state == CommandState.REJECTED else "") for r in records
    ]
    assert outcomes == [p.expected for p in run.planned]
    assert sorted(run.summary.rejections().items()) == [("bad_signature", 1), ("replay", 1)]


def test_accepted_commands_were_executed_on_board(run):
    archive = TelemetryArchive.open_existing(run.db)
    try:
        records, _ = commands(run)
        by_label = {p.label: r for p, r in zip(run.planned, records, strict=True)}
        payload = by_label["payload mode"]
        mode = archive.query_parameter(payload.node, "mode", since=payload.updated)
        assert mode.text[0] == "payload"  # the node's own telemetry, heard with its verdict
        rotation = by_label["roster rotation to epoch 2"]
        epoch = archive.query_parameter(rotation.node, "roster_epoch", since=rotation.updated)
        assert set(epoch.raw.tolist()) == {2.0}
        rate = by_label["telemetry every 20 s"]
        health = [
            f
            for f in archive.frames(node=rate.node, since=rate.updated + SETTLED)
            if f.packet == "node_health"
        ]
        gaps = [(b.reception_time - a.reception_time).total_seconds() for a, b in itertools.pairwise(health)]
        assert any(abs(g - 20.0) < BEACON_JITTER_S for g in gaps)
        # Within a pass, beacons keep the 20 s grid (a lost one leaves a 40 s gap, not a 60 s one's).
        assert all(abs(g - 20.0 * round(g / 20.0)) < BEACON_JITTER_S for g in gaps if g < 300)
    finally:
        archive.close()


def _windows(run: Run) -> dict[tuple[str, str], list[tuple[datetime, datetime]]]:
    opened: dict[tuple[str, str], datetime] = {}
    windows: dict[tuple[str, str], list[tuple[datetime, datetime]]] = {}
    for event in run.events:
        if isinstance(event, PassStarted):
            opened[(event.station, event.node)] = event.time
        elif isinstance(event, PassEnded):
            windows.setdefault((event.station, event.node), []).append(
                (opened.pop((event.station, event.node)), event.time)
            )
    for pair, began in opened.items():  # still in view when the run stopped
        windows.setdefault(pair, []).append((began, run.end))
    return windows


def _inside(windows, pair, moment: datetime) -> bool:
    return any(a <= moment <= b for a, b in windows.get(pair, []))


def test_nothing_is_exchanged_outside_a_pass(run):
    windows = _windows(run)
    bursts = [e for e in run.events if isinstance(e, BurstHeard)]
    assert bursts
    for burst in bursts:
        assert _inside(windows, (burst.station, burst.node), burst.time)
        assert burst.elevation_deg >= 0.0
    assert run.summary.frames_without_path == 0
    archive = TelemetryArchive.open_existing(run.db)
    try:
        frames = archive.frames()
    finally:
        archive.close()
    assert frames
    for frame in frames:
        assert _inside(windows, (frame.station, frame.node), frame.reception_time)


def test_frames_are_lost_low_in_the_sky_and_heard_high(run):
    bursts = [e for e in run.events if isinstance(e, BurstHeard) and e.direction == "downlink"]
    low = [b for b in bursts if b.elevation_deg < 3.0]
    high = [b for b in bursts if b.elevation_deg > 30.0]
    assert sum(b.frames_received for b in low) < sum(b.frames_sent for b in low)
    assert sum(b.frames_received for b in high) == sum(b.frames_sent for b in high)
    assert run.summary.frames_received == sum(
        b.frames_received for b in run.events if isinstance(b, BurstHeard)
    )
    assert 0.0 < run.summary.frame_error_rate < 1.0


def test_every_transition_is_persisted_and_in_the_audit_log(run):
    records, transitions = commands(run)
    published = [e.transition for e in run.events if isinstance(e, CommandChanged)]
    assert transitions == published
    entries = AuditLog(run.workdir / "governance-audit.jsonl").entries()  # verifies the hash chain
    assert [e.event.value for e in entries] == [t.state.value for t in transitions]
    assert [e.details["command"] for e in entries] == [t.command_id for t in transitions]
    by_id = {r.id: r for r in records}
    assert all(e.packet_id == by_id[e.details["command"]].packet_id for e in entries)
    for record in records:
        states = [t.state for t in transitions if t.command_id == record.id]
        assert states[0] == CommandState.QUEUED
        assert states[-1] == record.state
        if record.state != CommandState.EXPIRED:
            assert CommandState.RELEASED in states
            assert CommandState.SENT in states


def test_telemetry_is_archived_and_queryable(run, capsys):
    received = sum(len(e.samples) for e in run.events if isinstance(e, TelemetryReceived))
    assert received == run.summary.telemetry_samples_archived > 0
    node = run.planned[0].node
    assert (
        main(
            [
                "telemetry",
                "query",
                "--db",
                str(run.db),
                "--node",
                node,
                "--parameter",
                "battery_soc",
                "--format",
                "json",
            ]
        )
        == 0
    )
    document = json.loads(capsys.readouterr().out)
    assert document["unit"] == "%"
    assert len(document["samples"]) > 0
    assert all(0.0 <= s["eng"] <= 100.0 for s in document["samples"])


def test_node_status_follows_the_clock(run):
    status = [e for e in run.events if isinstance(e, NodeStatus)]
    assert len(status) == NODES * (int(HOURS * 3600 / STATUS_PERIOD_S) + 1)
    times = sorted({s.time for s in status})
    assert times[0] == START
    assert all(b - a == timedelta(seconds=STATUS_PERIOD_S) for a, b in itertools.pairwise(times))
    assert {s.sunlit for s in status} == {True, False}


def test_the_same_seed_gives_the_same_run(tmp_path):
    def once(folder: Path) -> tuple[dict, list]:
        config = SimulationConfig(
            start=START, database=folder / "sim.db", workdir=folder / "w", nodes=2, seed=7
        )
        sim = Simulation(config)
        sim.queue_demo_packets()
        sim.advance_to(START + timedelta(hours=1.5))
        summary = sim.summary().to_dict()
        frames = [(f.reception_time, f.data) for f in sim.telemetry.archive.frames()]
        sim.close()
        return summary, frames

    first, second = once(tmp_path / "a"), once(tmp_path / "b")
    assert first == second
    assert first[0]["frames"]["downlink_sent"] > 0


def test_rejected_commands_raise_alarms_linked_to_them(run):
    records, _ = commands(run)
    rejected = [r for r in records if r.state == CommandState.REJECTED]
    archive = TelemetryArchive.open_existing(run.db)
    try:
        alarms = [a for a in AlarmStore(archive.db).alarms() if a.kind == AlarmKind.COMMAND]
        fleet = TelemetryService(demo_dictionary(), archive, SimulatedClock(run.end, speed=0)).fleet
        worst = {r.node: fleet.health(r.node).worst_alarm for r in rejected}
    finally:
        archive.close()
    # The forged packet (bad signature) and the replayed one: critical, each naming its command.
    assert sorted((a.command_id, a.node, a.last_text, a.severity) for a in alarms) == sorted(
        (r.id, r.node, r.reason, Severity.CRITICAL) for r in rejected
    )
    assert {r.reason for r in rejected} == {"bad_signature", "replay"}
    assert worst == {r.node: Severity.CRITICAL for r in rejected}  # the fleet view shows them
    assert dict(run.summary.alarms_raised)["command_rejected/critical"] == len(rejected)
    assert "command_rejected/critical 2" in run.summary.text()


def test_silence_beyond_the_expected_rate_raises_staleness_alarms(run):
    archive = TelemetryArchive.open_existing(run.db)
    try:
        history = [h for h in AlarmStore(archive.db).history_events() if h.alarm_kind == AlarmKind.STALE]
        heard = {
            node: sorted(f.reception_time for f in archive.frames(node=node) if f.packet == "node_health")
            for node in {h.node for h in history}
        }
    finally:
        archive.close()
    window = timedelta(seconds=3 * 60)  # stale_after_periods × the demo nodes' 60 s beacon period
    raised = [h for h in history if h.kind.value == "raised"]
    assert raised
    assert dict(run.summary.alarms_raised)["stale node_health/warning"] == len(raised)
    for h in history:
        before = [t for t in heard[h.node] if t <= h.time]
        if h.kind.value == "raised":  # raised only after a full window of silence
            assert before
            assert h.time - before[-1] > window
        elif h.kind.value == "returned":  # returned by a health frame heard at that moment
            assert h.time in heard[h.node]
