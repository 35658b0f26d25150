"""Alarms: limits, anti-flapping, per-mode limits, acknowledge/shelve, persistence, events."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from groundstation.clock import SimulatedClock
from groundstation.telemetry.alarms import (
    AlarmError,
    AlarmEvent,
    AlarmEventKind,
    AlarmManager,
    AlarmStore,
    Severity,
)
from groundstation.telemetry.archive import TelemetryArchive
from groundstation.telemetry.decoder import TelemetryDecoder
from groundstation.telemetry.dictionary import TelemetryDictionary
from groundstation.telemetry.frames import TelemetryFrame
from tests.groundstation.telemetry.conftest import FrameFactory

Kinds = list[tuple[str, str, str]]  # (kind, parameter, current severity)


def kinds(events: list[AlarmEvent], parameter: str | None = None) -> Kinds:
    return [
        (e.kind.value, e.alarm.parameter, e.alarm.current_severity.label)
        for e in events
        if parameter is None or e.alarm.parameter == parameter
    ]


class Harness:
    def __init__(
        self,
        dictionary: TelemetryDictionary,
        clock: SimulatedClock,
        health_frame: FrameFactory,
        store: AlarmStore | None = None,
    ) -> None:
        self.decoder = TelemetryDecoder(dictionary)
        self.manager = AlarmManager(dictionary, clock, store)
        self.clock = clock
        self.make = health_frame
        self.seconds = 0

    def feed(self, node: str = "node-1", **values: float | int) -> list[AlarmEvent]:
        self.seconds += 10
        self.clock.step(10)
        frame: TelemetryFrame = self.make(node, seconds=self.seconds, **values)
        return self.manager.process(self.decoder.decode([frame]))


@pytest.fixture
def harness(dictionary: TelemetryDictionary, clock: SimulatedClock, health_frame: FrameFactory) -> Harness:
    return Harness(dictionary, clock, health_frame)


def test_nominal_telemetry_raises_nothing(harness: Harness) -> None:
    assert harness.feed() == []
    assert harness.manager.open_alarms() == ()


def test_warning_then_critical_then_back_with_hysteresis(harness: Harness) -> None:
    # obc_temperature: warning above 60 °C, critical above 75 °C, hysteresis 1 °C.
    assert kinds(harness.feed(obc_centi_c=6100)) == [("raised", "obc_temperature", "warning")]
    assert kinds(harness.feed(obc_centi_c=7600)) == [("escalated", "obc_temperature", "critical")]
    assert kinds(harness.feed(obc_centi_c=7450)) == []  # inside 75 but not by the 1 °C hysteresis
    assert kinds(harness.feed(obc_centi_c=7390)) == [("deescalated", "obc_temperature", "warning")]
    assert kinds(harness.feed(obc_centi_c=5950)) == []  # 59.5: not 1 °C inside the warning range
    assert kinds(harness.feed(obc_centi_c=5800)) == [("returned", "obc_temperature", "ok")]
    (alarm,) = harness.manager.open_alarms()  # still open: never acknowledged
    assert (alarm.severity, alarm.current_severity, alarm.trigger_value) == (
        Severity.CRITICAL,
        Severity.OK,
        61.0,
    )


def test_a_value_dancing_on_the_limit_does_not_flap(harness: Harness) -> None:
    events: list[AlarmEvent] = []
    for centi in [6010, 5990, 6010, 5980, 6020, 5995] * 5:
        events += harness.feed(obc_centi_c=centi)
    assert kinds(events) == [("raised", "obc_temperature", "warning")]


def test_min_violations_ignores_a_single_outlier(harness: Harness) -> None:
    # battery_temperature needs two consecutive samples above 40 °C.
    assert harness.feed(battery_centi_c=4200) == []
    assert harness.feed(battery_centi_c=3000) == []
    assert harness.feed(battery_centi_c=4200) == []
    assert kinds(harness.feed(battery_centi_c=4300)) == [("raised", "battery_temperature", "warning")]


def test_limits_follow_the_mode(harness: Harness) -> None:
    # battery_soc 35 %: fine in nominal (warning below 30), a warning in payload mode (below 40).
    assert harness.feed(soc_half_pct=70, mode=1) == []
    events = harness.feed(soc_half_pct=70, mode=2)
    assert ("raised", "battery_soc", "warning") in kinds(events)
    assert kinds(harness.feed(soc_half_pct=70, mode=1), "battery_soc") == [("returned", "battery_soc", "ok")]


def test_enum_states_and_nan(harness: Harness) -> None:
    assert kinds(harness.feed(mode=0), "mode") == [("raised", "mode", "warning")]
    assert kinds(harness.feed(solar_current_a=math.nan), "solar_current") == [
        ("raised", "solar_current", "critical")
    ]


def test_acknowledge_closes_only_after_return(harness: Harness) -> None:
    (raised,) = harness.feed(obc_centi_c=6500)
    alarm = harness.manager.acknowledge(raised.alarm.id, by="alice", comment="watching")
    assert alarm.acknowledged
    assert alarm.is_open
    assert alarm.acknowledged_by == "alice"
    assert harness.manager.unacknowledged_count("node-1") == 0
    # Escalation needs a new acknowledgement.
    harness.feed(obc_centi_c=8000)
    (alarm,) = harness.manager.open_alarms()
    assert not alarm.acknowledged
    assert alarm.severity == Severity.CRITICAL
    harness.manager.acknowledge(alarm.id, by="bob")
    assert kinds(harness.feed(obc_centi_c=2000)) == [
        ("returned", "obc_temperature", "ok"),
        ("closed", "obc_temperature", "ok"),
    ]
    assert harness.manager.open_alarms() == ()
    with pytest.raises(AlarmError, match=f"no open alarm #{alarm.id}"):
        harness.manager.acknowledge(alarm.id, by="bob")


def test_shelve_hides_from_worst_severity_until_expiry(harness: Harness) -> None:
    (raised,) = harness.feed(obc_centi_c=8000)
    manager = harness.manager
    assert manager.worst_severity("node-1") == Severity.CRITICAL
    shelved = manager.shelve(raised.alarm.id, duration_s=600, by="alice")
    assert shelved.shelved_until == harness.clock.now() + timedelta(seconds=600)
    assert manager.worst_severity("node-1") == Severity.OK
    harness.clock.step(599)
    # The shelf holds; the node's silence meanwhile is a (separate) staleness alarm.
    assert kinds(manager.tick()) == [("raised", "node_health", "warning")]
    harness.clock.step(1)
    assert kinds(manager.tick()) == [("unshelved", "obc_temperature", "critical")]
    assert manager.worst_severity("node-1") == Severity.CRITICAL
    with pytest.raises(ValueError, match="must be > 0 s"):
        manager.shelve(raised.alarm.id, duration_s=0, by="alice")


def test_listeners_get_events_and_a_broken_one_does_not_stop_processing(harness: Harness) -> None:
    seen: list[AlarmEventKind] = []

    def broken(_event: AlarmEvent) -> None:
        raise RuntimeError("view crashed")

    harness.manager.subscribe(broken)
    unsubscribe = harness.manager.subscribe(lambda e: seen.append(e.kind))
    harness.feed(obc_centi_c=6500)
    unsubscribe()
    harness.feed(obc_centi_c=8000)
    assert seen == [AlarmEventKind.RAISED]
    assert harness.manager.open_alarms()[0].current_severity == Severity.CRITICAL


def test_alarms_persist_across_restart(
    db_target: str, dictionary: TelemetryDictionary, clock: SimulatedClock, health_frame: FrameFactory
) -> None:
    with TelemetryArchive.open(db_target, clock) as archive:
        first = Harness(dictionary, clock, health_frame, AlarmStore(archive.db))
        (raised,) = first.feed(obc_centi_c=6500)
        assert raised.alarm.id > 0
        first.manager.shelve(raised.alarm.id, duration_s=3600, by="alice")
        first.manager.acknowledge(raised.alarm.id, by="alice", comment="known heater fault")
    with TelemetryArchive.open(db_target, clock) as archive:
        store = AlarmStore(archive.db)
        second = Harness(dictionary, clock, health_frame, store)
        (alarm,) = second.manager.open_alarms()
        assert (alarm.id, alarm.acknowledged_by, alarm.current_severity) == (
            raised.alarm.id,
            "alice",
            Severity.WARNING,
        )
        assert alarm.shelved_until == clock.now() + timedelta(seconds=3600)
        # The tracker resumed at warning: still hot is no new alarm; back to normal closes it.
        assert second.feed(obc_centi_c=6500) == []
        assert kinds(second.feed(obc_centi_c=2000)) == [
            ("returned", "obc_temperature", "ok"),
            ("closed", "obc_temperature", "ok"),
        ]
        trail = [kind for _, kind, _, _ in store.events(raised.alarm.id)]
        assert trail == ["raised", "shelved", "acknowledged", "returned", "closed"]
        assert store.open_alarms() == []
        assert [a.id for a in store.history("node-1")] == [raised.alarm.id]
