"""Node health summaries and the fleet view, fed through the whole receive path."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from groundstation.clock import SimulatedClock
from groundstation.telemetry.alarms import Severity
from groundstation.telemetry.dictionary import TelemetryDictionary
from groundstation.telemetry.health import HealthChanged
from groundstation.telemetry.service import TelemetryService
from tests.groundstation.telemetry.conftest import T0, FrameFactory

EXACT = 1e-9


@pytest.fixture
def service(tmp_path: Path, dictionary: TelemetryDictionary, clock: SimulatedClock) -> TelemetryService:
    return TelemetryService.open(dictionary, tmp_path / "gs.db", clock)


def test_node_health_summary(
    service: TelemetryService, clock: SimulatedClock, health_frame: FrameFactory
) -> None:
    service.receive(
        [
            health_frame("node-1", seconds=0, battery_mv=3800),
            health_frame(
                "node-1",
                seconds=10,
                battery_mv=3790,
                soc_half_pct=150,
                commands_accepted=9,
                commands_rejected=2,
                rejection_reason=1,
                roster_epoch=4,
            ),
        ]
    )
    clock.jump(T0 + timedelta(seconds=15))
    h = service.fleet.health("node-1")
    assert h.last_contact == T0 + timedelta(seconds=10)
    assert (h.last_station, h.last_snr_db, h.silent_s) == ("gs-test", 12.5, 5.0)
    assert h.battery_voltage_v == pytest.approx(3.79, abs=EXACT)
    assert h.battery_soc_pct == 75.0
    assert dict(h.temperatures_c)["obc_temperature"] == pytest.approx(20.0, abs=EXACT)
    assert dict(h.temperatures_c)["radio_temperature"] == pytest.approx(25.0, abs=EXACT)
    assert h.max_temperature_c == pytest.approx(30.0, abs=EXACT)  # the panel
    assert (h.mode, h.commands_accepted, h.commands_rejected) == ("nominal", 9, 2)
    assert (h.roster_epoch, h.last_accepted_sequence, h.last_rejection_reason) == (4, 42, "bad_signature")
    assert h.link_quality == pytest.approx(-105.0, abs=EXACT)
    assert (h.stale, h.stale_parameters, h.worst_alarm, h.next_pass) == (False, (), Severity.OK, None)


def test_staleness_after_three_expected_periods(
    service: TelemetryService, clock: SimulatedClock, health_frame: FrameFactory
) -> None:
    service.receive([health_frame("node-1")])
    clock.jump(T0 + timedelta(seconds=180))  # 3 × 60 s: not yet
    assert not service.fleet.health("node-1").stale
    clock.jump(T0 + timedelta(seconds=181))
    h = service.fleet.health("node-1")
    assert h.stale
    assert "battery_voltage" in h.stale_parameters
    assert not any(name.startswith("gov_") for name in h.stale_parameters)  # sporadic: never stale
    service.fleet.add_node("node-9")  # never heard
    never = service.fleet.health("node-9")
    assert never.stale
    assert never.last_contact is None
    assert never.battery_voltage_v is None


def test_out_of_order_frames_keep_the_newest_value(
    service: TelemetryService, health_frame: FrameFactory
) -> None:
    service.receive([health_frame("node-1", seconds=20, battery_mv=3700)])
    service.receive([health_frame("node-1", seconds=10, battery_mv=4000)])  # a late store-and-forward frame
    assert service.fleet.health("node-1", T0 + timedelta(seconds=21)).battery_voltage_v == pytest.approx(
        3.7, abs=EXACT
    )


def test_fleet_rows_worst_first_with_events(
    service: TelemetryService, clock: SimulatedClock, health_frame: FrameFactory
) -> None:
    events: list[HealthChanged] = []
    service.fleet.subscribe(events.append)
    ingested = service.receive(
        [
            health_frame("node-a", seconds=0),
            health_frame("node-b", seconds=0, battery_mv=3200),
            health_frame("node-c", seconds=0, obc_centi_c=6500),
        ]
    )
    assert ingested.receipt.frame_count == 3
    assert {e.alarm.node for e in ingested.alarm_events} == {"node-b", "node-c"}
    service.fleet.set_next_pass("node-a", T0 + timedelta(minutes=42))
    rows = service.fleet.rows(T0 + timedelta(seconds=5))
    assert [(r.node, r.worst_alarm) for r in rows] == [
        ("node-b", Severity.CRITICAL),
        ("node-c", Severity.WARNING),
        ("node-a", Severity.OK),
    ]
    assert rows[2].next_pass == T0 + timedelta(minutes=42)
    assert rows[0].unacknowledged_alarms == 1
    assert rows[0].battery_voltage_v == pytest.approx(3.2, abs=EXACT)
    assert {n for e in events for n in e.nodes} >= {"node-a", "node-b", "node-c"}
    # Shelving node-b's alarm moves it down the fleet view.
    (alarm,) = service.alarms.open_alarms("node-b")
    service.alarms.shelve(alarm.id, duration_s=60, by="ops")
    assert next(r.node for r in service.fleet.rows(T0 + timedelta(seconds=5))) == "node-c"


def test_fleet_view_survives_a_restart(
    tmp_path: Path, dictionary: TelemetryDictionary, clock: SimulatedClock, health_frame: FrameFactory
) -> None:
    first = TelemetryService.open(dictionary, tmp_path / "gs.db", clock)
    first.receive(
        [
            health_frame("node-1", seconds=0, battery_mv=3650),
            health_frame("node-1", seconds=10, obc_centi_c=6600),
        ]
    )
    first.receive([health_frame("node-2", seconds=5, mode=2)])
    before = first.fleet.rows(T0 + timedelta(seconds=12))
    first.close()
    second = TelemetryService.open(dictionary, tmp_path / "gs.db", clock)
    after = second.fleet.rows(T0 + timedelta(seconds=12))
    assert after == before
    assert after[0].node == "node-1"
    assert after[0].worst_alarm == Severity.WARNING
    h = second.fleet.health("node-2", T0 + timedelta(seconds=12))
    assert (h.mode, h.last_contact, h.last_station) == ("payload", T0 + timedelta(seconds=5), "gs-test")
    second.close()
