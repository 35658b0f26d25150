"""The command lifecycle: transitions persisted in a real SQLite archive and in the verified audit
chain, FIFO queues that hold at a command not yet valid, reports matched to their command."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from groundstation.clock import SimulatedClock
from groundstation.commanding import (
    Commander,
    CommandState,
    CommandStore,
    CommandStoreError,
    LifecycleError,
    NodeReport,
    describe,
)
from groundstation.governance.audit import AuditEvent, AuditLog
from groundstation.governance.payloads import Command, KeyRevocation, PolicyUpdate
from groundstation.governance.reasons import Reason
from groundstation.link_protocol import report_id
from groundstation.storage import open_database
from groundstation.telemetry.archive import TelemetryArchive
from tests.groundstation.governance.conftest import NOW, ONE_HOUR, Council, make_council

NODE = "NODE-01-01"
STATION = "Delft"


@pytest.fixture(scope="module")
def council() -> Council:
    return make_council()


@pytest.fixture
def paths(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "station.db", tmp_path / "audit.jsonl"


@pytest.fixture
def commander(paths: tuple[Path, Path]) -> Commander:
    db = open_database(paths[0])
    return Commander(CommandStore.open(db, NOW), AuditLog(paths[1]), max_attempts=2)


def report(
    record_data: bytes, *, accepted: bool, reason: Reason | None = None, number: int = 1
) -> NodeReport:
    return NodeReport(
        NODE,
        report_id(record_data),
        1,
        1,
        accepted,
        reason,
        "executed" if accepted else "none",
        number,
        1000 + number,
    )


def test_a_command_through_to_acceptance_is_persisted_and_audited(commander, council, paths):
    seen = []
    commander.subscribe(seen.append)
    packet = council.packet(Command.create("set_mode", {"mode": "payload"}), target=None)
    record = commander.queue(packet, NODE, NOW)
    assert commander.next_for(NODE, NOW) == record
    t = NOW + timedelta(minutes=5)
    record = commander.release(record, STATION, t)
    record = commander.sent(record, STATION, t + timedelta(seconds=12))
    record = commander.delivered(record, STATION, t + timedelta(seconds=13))
    done = commander.report(report(record.data, accepted=True), STATION, t + timedelta(seconds=14))
    assert done is not None
    assert done.state == CommandState.ACCEPTED
    assert done.attempts == 1

    states = [
        CommandState.QUEUED,
        CommandState.RELEASED,
        CommandState.SENT,
        CommandState.DELIVERED,
        CommandState.ACCEPTED,
    ]
    assert [s.state for s in seen] == states
    # Persisted: a fresh reader of the same file sees the same trail.
    reader = CommandStore.open_existing(paths[0])
    assert [s.state for s in reader.transitions(record.id)] == states
    assert reader.get(record.id).summary == "command set_mode mode=payload"
    reader.close()
    entries = AuditLog(paths[1]).entries()  # verifies the chain
    assert [e.event for e in entries] == [
        AuditEvent.QUEUED,
        AuditEvent.RELEASED,
        AuditEvent.SENT,
        AuditEvent.DELIVERED,
        AuditEvent.ACCEPTED,
    ]
    assert {e.packet_id for e in entries} == {packet.content_id.hex()}
    assert entries[-1].actor == STATION


def test_the_store_shares_the_telemetry_archives_database(paths):
    clock = SimulatedClock(NOW, speed=0)
    archive = TelemetryArchive.open(paths[0], clock)
    CommandStore.open(archive.db, NOW)
    archive.close()
    assert TelemetryArchive.open_existing(paths[0]).frame_count() == 0
    assert CommandStore.open_existing(paths[0]).commands() == []


def test_a_database_without_commands_is_refused_clearly(paths):
    TelemetryArchive.open(paths[0], SimulatedClock(NOW, speed=0)).close()
    with pytest.raises(CommandStoreError, match="holds no command lifecycle"):
        CommandStore.open_existing(paths[0])
    with pytest.raises(CommandStoreError, match="no such database"):
        CommandStore.open_existing(paths[0].with_name("missing.db"))


def test_rejection_carries_the_reason_and_repeats_are_ignored(commander, council):
    record = commander.queue(council.packet(sequence=5), NODE, NOW)
    record = commander.sent(commander.release(record, STATION, NOW), STATION, NOW)
    rejected = commander.report(
        report(record.data, accepted=False, reason=Reason.BAD_SIGNATURE), STATION, NOW
    )
    assert rejected is not None
    assert (rejected.state, rejected.reason) == (CommandState.REJECTED, "bad_signature")
    # The same report heard again in a later beacon changes nothing.
    assert (
        commander.report(report(record.data, accepted=False, reason=Reason.BAD_SIGNATURE), STATION, NOW)
        is None
    )


def test_a_replay_of_our_own_earlier_attempt_means_it_was_accepted(commander, council):
    record = commander.queue(council.packet(sequence=6), NODE, NOW)
    record = commander.sent(commander.release(record, STATION, NOW), STATION, NOW)
    record = commander.requeue(record, STATION, NOW + timedelta(minutes=8), "no verdict before LOS")
    later = NOW + timedelta(hours=1, minutes=30)
    record = commander.sent(commander.release(record, "Kiruna", later), "Kiruna", later)
    done = commander.report(
        report(record.data, accepted=False, reason=Reason.REPLAY, number=9), "Kiruna", later
    )
    assert done is not None
    assert done.state == CommandState.ACCEPTED
    assert "earlier pass" in (done.detail or "")


def test_a_replay_of_someone_elses_packet_is_a_rejection(commander, council):
    packet = council.packet(sequence=7)
    first = commander.queue(packet, NODE, NOW)
    first = commander.sent(commander.release(first, STATION, NOW), STATION, NOW)
    commander.report(report(first.data, accepted=True, number=3), STATION, NOW)
    again = commander.queue(packet, NODE, NOW)  # the very same bytes, queued again
    again = commander.sent(commander.release(again, STATION, NOW), STATION, NOW)
    assert commander.report(report(again.data, accepted=True, number=3), STATION, NOW) is None  # old repeat
    done = commander.report(report(again.data, accepted=False, reason=Reason.REPLAY, number=4), STATION, NOW)
    assert done is not None
    assert (done.state, done.reason) == (CommandState.REJECTED, "replay")


def test_queues_are_fifo_hold_at_a_future_command_and_expire_old_ones(commander, council):
    old = commander.queue(council.packet(sequence=1, valid_from=NOW - 2 * ONE_HOUR), NODE, NOW)
    future = commander.queue(council.packet(sequence=2, valid_from=NOW + ONE_HOUR), NODE, NOW)
    after = commander.queue(council.packet(sequence=3), NODE, NOW)
    assert commander.next_for(NODE, NOW) is None  # the old one expired, the future one holds the queue
    assert commander.store.get(old.id).state == CommandState.EXPIRED
    assert commander.next_for(NODE, NOW + ONE_HOUR) == future
    assert commander.next_for("NODE-09-09", NOW) is None
    assert after.state == CommandState.QUEUED


def test_attempts_run_out_into_expiry(commander, council):
    record = commander.queue(council.packet(sequence=8), NODE, NOW)
    record = commander.sent(commander.release(record, STATION, NOW), STATION, NOW)
    record = commander.retry(record, STATION, NOW, "no answer in 8 s")
    assert record.state == CommandState.RETRIED
    record = commander.sent(record, STATION, NOW)
    assert record.attempts == 2
    record = commander.retry(record, STATION, NOW, "no answer in 8 s")
    assert record.state == CommandState.EXPIRED
    assert "after 2 attempts" in (record.detail or "")
    with pytest.raises(LifecycleError, match="expired cannot become released"):
        commander.release(record, STATION, NOW)


def test_describe_names_what_a_packet_asks(council):
    assert describe(council.packet(PolicyUpdate("low_power_soc_pct", "25"))) == "policy low_power_soc_pct=25"
    key_id = council.roster.members[4].key_id
    assert describe(council.packet(KeyRevocation(key_id, "lost"))) == f"revoke key {key_id.hex()[:16]} (lost)"
