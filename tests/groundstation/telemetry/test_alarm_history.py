"""Alarm history: every transition kept (SQLite and PostgreSQL), queried, exported; staleness
alarms on the injected clock; operator actions from another process (the CLI) reach a running
manager; a v1 archive upgrades keeping its alarms."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa

from groundstation.cli import main
from groundstation.clock import SimulatedClock, SystemClock
from groundstation.storage import Migration, migrate, open_database
from groundstation.telemetry import schema
from groundstation.telemetry.alarms import (
    HISTORY_CSV_COLUMNS,
    AlarmEventKind,
    AlarmKind,
    AlarmManager,
    AlarmStore,
    Severity,
)
from groundstation.telemetry.archive import TelemetryArchive
from groundstation.telemetry.dictionary import TelemetryDictionary
from groundstation.telemetry.service import TelemetryService
from tests.groundstation.telemetry.conftest import T0, FrameFactory
from tests.groundstation.telemetry.test_alarms import Harness, kinds

# demo dictionary: node_health every 60 s, stale after 3 periods
STALE_AFTER_S = 180.0


def test_every_transition_is_kept_and_queryable(
    db_target: str, dictionary: TelemetryDictionary, clock: SimulatedClock, health_frame: FrameFactory
) -> None:
    with TelemetryArchive.open(db_target, clock) as archive:
        store = AlarmStore(archive.db)
        h = Harness(dictionary, clock, health_frame, store)
        (raised,) = h.feed(obc_centi_c=6100)  # 61 °C: warning
        alarm_id = raised.alarm.id
        h.feed(obc_centi_c=7600)  # escalated
        clock.step(5)
        mid = clock.now()
        h.manager.acknowledge(alarm_id, by="alice", comment="heater stuck")
        h.manager.shelve(alarm_id, duration_s=600, by="bob")
        h.manager.unshelve(alarm_id, by="bob")
        h.feed(obc_centi_c=2000)  # returned, and acknowledged: closed
        h.feed("node-2", obc_centi_c=6500)  # another node
        entries = store.history_events(node="node-1")
        assert [(e.kind.value, e.severity.label, e.actor) for e in entries] == [
            ("raised", "warning", None),
            ("escalated", "critical", None),
            ("acknowledged", "critical", "alice"),
            ("shelved", "critical", "bob"),
            ("unshelved", "critical", "bob"),
            ("returned", "ok", None),
            ("closed", "ok", None),
        ]
        assert [e.value for e in entries[:2]] == [61.0, 76.0]  # the triggering values
        assert entries[0].time == T0 + timedelta(seconds=10)
        assert entries[2].comment == "heater stuck"
        assert entries[3].shelved_until == mid + timedelta(seconds=600)
        assert {e.node for e in store.history_events()} == {"node-1", "node-2"}
        assert store.history_events(parameter="battery_voltage") == []
        later = store.history_events(since=mid)
        assert [e.kind for e in later][:1] == [AlarmEventKind.ACKNOWLEDGED]
        assert [e.kind for e in store.history_events(until=mid)] == [
            AlarmEventKind.RAISED,
            AlarmEventKind.ESCALATED,
        ]
        assert [a.node for a in store.alarms(active=True)] == ["node-2"]
        assert [a.node for a in store.alarms(since=mid + timedelta(hours=1))] == ["node-2"]
        out = io.StringIO()
        assert store.export_history_csv(out, node="node-1") == len(entries)
        rows = list(csv.DictReader(io.StringIO(out.getvalue())))
        assert tuple(rows[0]) == HISTORY_CSV_COLUMNS
        assert [r["event"] for r in rows] == [e.kind.value for e in entries]
        assert rows[0]["value"] == "61.0"
        assert rows[3]["shelved_until_utc"] == entries[3].shelved_until.isoformat()


def test_a_nan_triggered_alarm_is_stored(
    db_target: str, dictionary: TelemetryDictionary, clock: SimulatedClock, health_frame: FrameFactory
) -> None:
    with TelemetryArchive.open(db_target, clock) as archive:
        store = AlarmStore(archive.db)
        (raised,) = Harness(dictionary, clock, health_frame, store).feed(solar_current_a=math.nan)
        stored = store.get(raised.alarm.id)
        assert (stored.parameter, stored.severity) == ("solar_current", Severity.CRITICAL)
        assert math.isnan(stored.trigger_value)


def test_staleness_alarm_follows_the_clock(
    db_target: str, dictionary: TelemetryDictionary, clock: SimulatedClock, health_frame: FrameFactory
) -> None:
    with _service(dictionary, db_target, clock) as service:
        service.receive([health_frame("node-1", at=clock.now())])
        clock.step(STALE_AFTER_S)
        assert service.alarms.tick() == []  # silent exactly the window: not yet
        clock.step(1)
        (raised,) = service.alarms.tick()
        alarm = raised.alarm
        assert (alarm.kind, alarm.parameter, alarm.current_severity) == (
            AlarmKind.STALE,
            "node_health",
            Severity.WARNING,
        )
        assert alarm.trigger_value == STALE_AFTER_S + 1
        assert service.fleet.health("node-1").worst_alarm == Severity.WARNING
        assert service.alarms.tick() == []  # raised once, not on every tick
        clock.step(100)
        events = service.receive([health_frame("node-1", at=clock.now())]).alarm_events
        assert kinds(list(events)) == [("returned", "node_health", "ok")]
        assert events[0].alarm.last_value == STALE_AFTER_S + 101  # the whole silence
        assert service.fleet.health("node-1").worst_alarm == Severity.OK
    # After a restart the silence is measured from the archive's newest sample.
    clock.step(STALE_AFTER_S + 1)
    with _service(dictionary, db_target, clock) as again:
        assert kinds(again.alarms.tick()) == [("raised", "node_health", "warning")]
        assert [a.id for a in again.alarms.open_alarms()] == [alarm.id]  # the same, still unacknowledged


@contextmanager
def _service(
    dictionary: TelemetryDictionary, target: str, clock: SimulatedClock
) -> Iterator[TelemetryService]:
    service = TelemetryService.open(dictionary, target, clock)
    try:
        yield service
    finally:
        service.close()


def test_cli_ack_and_shelve_reach_a_running_manager(
    db_target: str,
    dictionary: TelemetryDictionary,
    clock: SimulatedClock,
    health_frame: FrameFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with TelemetryArchive.open(db_target, clock) as archive:
        h = Harness(dictionary, clock, health_frame, AlarmStore(archive.db))
        (raised,) = h.feed(obc_centi_c=8000)
        (other,) = h.feed("node-2", obc_centi_c=8000)
        capsys.readouterr()
        assert main(["alarms", "ack", str(raised.alarm.id), "--db", db_target, "--by", "carol"]) == 0
        assert "acknowledged by carol" in capsys.readouterr().out
        # The CLI shelves on the wall clock: long enough to cover this test's simulated hour.
        minutes = max(30.0, (T0 + timedelta(hours=1) - SystemClock().now()).total_seconds() / 60)
        assert (
            main(["alarms", "shelve", str(other.alarm.id), "--db", db_target, "--minutes", f"{minutes}"]) == 0
        )
        capsys.readouterr()
        h.feed(obc_centi_c=8000)  # the running manager picks both up on its next batch
        by_node = {a.node: a for a in h.manager.open_alarms()}
        assert by_node["node-1"].acknowledged_by == "carol"
        assert by_node["node-2"].shelved_until is not None
        assert h.manager.worst_severity("node-2") == Severity.OK  # shelved
        # ...and its own later writes keep them.
        assert kinds(h.feed(obc_centi_c=2000)) == [
            ("returned", "obc_temperature", "ok"),
            ("closed", "obc_temperature", "ok"),
        ]
        assert main(["alarms", "list", "--db", db_target, "--active", "--format", "json"]) == 0
        listed = json.loads(capsys.readouterr().out)
        assert [(a["node"], a["shelved_until_utc"] is not None) for a in listed] == [("node-2", True)]
        assert main(["alarms", "history", "--db", db_target, "--node", "node-1", "--format", "csv"]) == 0
        rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
        # Ordered by time: the CLI's wall-clock acknowledgement may sort before the simulated raise.
        assert sorted((r["event"], r["actor"]) for r in rows) == [
            ("acknowledged", "carol"),
            ("closed", ""),
            ("raised", ""),
            ("returned", ""),
        ]
        assert (
            main(["alarms", "list", "--db", db_target, "--since", "2026-11-22T12:00:15", "--format", "csv"])
            == 0
        )
        assert [r["node"] for r in csv.DictReader(io.StringIO(capsys.readouterr().out))] == [
            "node-2",
            "node-1",
        ]
        assert main(["alarms", "ack", str(raised.alarm.id), "--db", db_target]) == 2
        assert f"alarm #{raised.alarm.id} is closed" in capsys.readouterr().err
        assert main(["alarms", "shelve", "999", "--db", db_target, "--minutes", "5"]) == 2
        assert "no alarm #999" in capsys.readouterr().err
        assert main(["alarms", "shelve", str(other.alarm.id), "--db", db_target, "--minutes", "0"]) == 2
        assert "--minutes: must be > 0" in capsys.readouterr().err


def test_cli_refuses_what_is_not_an_archive(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["alarms", "list", "--db", str(tmp_path / "missing.db")]) == 2
    assert "--db: no such archive" in capsys.readouterr().err
    assert main(["alarms", "list", "--db", str(tmp_path / "x.db"), "--since", "yesterday"]) == 2


_V1_META = sa.MetaData()
_V1_ALARMS = sa.Table(
    "tm_alarms",
    _V1_META,
    sa.Column("id", schema.BigId, primary_key=True, autoincrement=True),
    *(
        sa.Column(n, sa.String(128), nullable=False)
        for n in ("node", "parameter", "severity", "current_severity")
    ),
    sa.Column("triggered_at_us", sa.BigInteger, nullable=False),
    sa.Column("trigger_value", sa.Float(53), nullable=False),
    sa.Column("last_value", sa.Float(53), nullable=False),
    sa.Column("last_text", sa.String(64)),
    sa.Column("updated_at_us", sa.BigInteger, nullable=False),
    *(
        sa.Column(n, sa.BigInteger)
        for n in ("acknowledged_at_us", "shelved_until_us", "returned_at_us", "closed_at_us")
    ),
    sa.Column("acknowledged_by", sa.String(64)),
    sa.Column("shelved_by", sa.String(64)),
)
_V1_EVENTS = sa.Table(
    "tm_alarm_events",
    _V1_META,
    sa.Column("id", schema.BigId, primary_key=True, autoincrement=True),
    sa.Column("alarm_id", sa.BigInteger, sa.ForeignKey("tm_alarms.id", ondelete="CASCADE"), nullable=False),
    sa.Column("time_us", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("value", sa.Float(53)),
    sa.Column("actor", sa.String(64)),
    sa.Column("comment", sa.String(512)),
)


def _create_v1_as_released(conn: sa.Connection) -> None:
    schema.metadata.create_all(conn, tables=[schema.nodes, schema.parameters, schema.frames, schema.samples])
    _V1_META.create_all(conn)
    conn.execute(
        _V1_ALARMS.insert().values(
            node="node-1", parameter="obc_temperature", severity="warning", current_severity="warning",
            triggered_at_us=1, trigger_value=61.0, last_value=62.0, updated_at_us=2,
        )
    )  # fmt: skip
    conn.execute(
        _V1_EVENTS.insert().values(alarm_id=1, time_us=1, kind="raised", severity="warning", value=61.0)
    )


def test_a_v1_archive_upgrades_keeping_its_alarms(
    db_target: str, dictionary: TelemetryDictionary, clock: SimulatedClock, health_frame: FrameFactory
) -> None:
    db = open_database(db_target)
    migrate(db, (Migration(schema.COMPONENT, 1, "as released", _create_v1_as_released),), clock.now())
    db.close()
    with TelemetryArchive.open(db_target, clock) as archive:
        store = AlarmStore(archive.db)
        (old,) = store.open_alarms()
        assert (old.id, old.kind, old.trigger_value, old.last_value) == (1, AlarmKind.LIMIT, 61.0, 62.0)
        assert [(e.kind.value, e.value) for e in store.history_events()] == [("raised", 61.0)]
        manager = AlarmManager(dictionary, clock, store)
        manager.acknowledge(1, by="dave")
        events = Harness(dictionary, clock, health_frame, store).feed(solar_current_a=math.nan)
        assert [(e.kind.value, e.alarm.id) for e in events] == [("returned", 1), ("closed", 1), ("raised", 2)]
        assert [e.kind.value for e in store.history_events(alarm_id=1)] == [
            "raised",
            "acknowledged",
            "returned",
            "closed",
        ]
