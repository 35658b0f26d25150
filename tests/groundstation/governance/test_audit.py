"""The hash-chained audit log detects every edit and removal."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from groundstation.governance.audit import AuditError, AuditEvent, AuditLog
from tests.groundstation.governance.conftest import NOW

ENTRIES = 6


@pytest.fixture
def log(tmp_path: Path) -> AuditLog:
    log = AuditLog(tmp_path / "audit.log")
    events = [
        AuditEvent.CREATED,
        AuditEvent.APPROVED,
        AuditEvent.APPROVED,
        AuditEvent.SIGNED,
        AuditEvent.QUEUED,
        AuditEvent.SENT,
    ]
    for index, event in enumerate(events):
        log.append(
            event,
            actor="alice",
            packet_id=bytes([index]) * 32,
            at=NOW + timedelta(seconds=index),
            details={"n": index},
        )
    return log


def _lines(log: AuditLog) -> list[bytes]:
    return log.path.read_bytes().splitlines(keepends=True)


def test_intact_log_verifies(log: AuditLog):
    assert log.verify() == ENTRIES
    assert [e.event for e in log.entries()][-1] == AuditEvent.SENT
    assert log.entries()[2].at == NOW + timedelta(seconds=2)


@pytest.mark.parametrize("line", range(ENTRIES))
def test_edited_entry_is_detected(log: AuditLog, line: int):
    lines = _lines(log)
    lines[line] = lines[line].replace(b'"actor":"alice"', b'"actor":"mallory"')
    log.path.write_bytes(b"".join(lines))
    with pytest.raises(AuditError, match=rf"audit\.log:{line + 1}:"):
        log.verify()


@pytest.mark.parametrize("line", range(ENTRIES))
def test_removed_entry_is_detected(log: AuditLog, line: int):
    lines = _lines(log)
    del lines[line]
    log.path.write_bytes(b"".join(lines))
    with pytest.raises(AuditError, match="removed"):
        log.verify()


def test_swapped_entries_are_detected(log: AuditLog):
    lines = _lines(log)
    lines[1], lines[2] = lines[2], lines[1]
    log.path.write_bytes(b"".join(lines))
    with pytest.raises(AuditError, match=r"audit\.log:2:"):
        log.verify()


def test_reformatted_entry_is_detected(log: AuditLog):
    lines = _lines(log)
    lines[0] = lines[0].replace(b'"actor":', b'"actor": ')
    log.path.write_bytes(b"".join(lines))
    with pytest.raises(AuditError, match="modified"):
        log.verify()


def test_appending_continues_the_chain(log: AuditLog):
    log.append(AuditEvent.REJECTED, actor="bob", packet_id=bytes(32), at=NOW)
    assert AuditLog(log.path).verify() == ENTRIES + 1
    assert log.path.stat().st_mode & 0o077 == 0


def test_lifecycle_events_read_back_from_a_verified_chain(log: AuditLog):
    lifecycle = [
        AuditEvent.RELEASED,
        AuditEvent.SENT,
        AuditEvent.RETRIED,
        AuditEvent.DELIVERED,
        AuditEvent.ACCEPTED,
        AuditEvent.EXPIRED,
    ]
    for event in lifecycle:
        log.append(event, actor="Delft", packet_id=bytes(32), at=NOW, details={"node": "NODE-01-01"})
    entries = AuditLog(log.path).entries()
    assert [e.event for e in entries[ENTRIES:]] == lifecycle
    assert entries[-1].details == {"node": "NODE-01-01"}
