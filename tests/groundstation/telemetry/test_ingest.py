"""The background ingestor: callers never wait for the database, and nothing queued is lost."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from groundstation.clock import SimulatedClock
from groundstation.telemetry.dictionary import TelemetryDictionary
from groundstation.telemetry.ingest import TelemetryIngestor
from groundstation.telemetry.service import Ingested, TelemetryService
from tests.groundstation.telemetry.conftest import FrameFactory

FLUSH_TIMEOUT_S = 60.0


def test_coalesces_and_acknowledges(
    tmp_path: Path, dictionary: TelemetryDictionary, clock: SimulatedClock, health_frame: FrameFactory
) -> None:
    service = TelemetryService.open(dictionary, tmp_path / "gs.db", clock)
    acks: list[Ingested] = []
    ingestor = TelemetryIngestor(service, on_ingested=acks.append, max_batch_frames=50)
    for i in range(120):
        ingestor.submit([health_frame(f"node-{i % 3}", seconds=i, obc_centi_c=6500 if i == 100 else 2000)])
    assert ingestor.flush(FLUSH_TIMEOUT_S)
    assert ingestor.pending_frames == 0
    assert service.archive.frame_count() == 120
    assert ingestor.close(FLUSH_TIMEOUT_S)  # evaluation and listeners follow storage
    assert sum(a.receipt.frame_count for a in acks) == 120
    assert all(a.receipt.frame_count <= 50 for a in acks)
    assert any(e.alarm.parameter == "obc_temperature" for a in acks for e in a.alarm_events)
    service.close()


def test_a_locked_database_delays_but_loses_nothing(
    tmp_path: Path, dictionary: TelemetryDictionary, clock: SimulatedClock, health_frame: FrameFactory
) -> None:
    path = tmp_path / "gs.db"
    service = TelemetryService.open(dictionary, path, clock)
    ingestor = TelemetryIngestor(service, retry_delay_s=0.05)
    locked, release = threading.Event(), threading.Event()

    def hold_the_write_lock() -> None:  # another process writing, as far as SQLite can tell
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        locked.set()
        release.wait(FLUSH_TIMEOUT_S)
        blocker.execute("COMMIT")
        blocker.close()

    thread = threading.Thread(target=hold_the_write_lock)
    thread.start()
    assert locked.wait(FLUSH_TIMEOUT_S)
    ingestor.submit([health_frame("node-1", seconds=i) for i in range(10)])  # returns at once
    assert ingestor.pending_frames == 10  # the lock is still held: nothing stored yet
    release.set()
    thread.join()
    assert ingestor.flush(FLUSH_TIMEOUT_S)
    assert ingestor.close(FLUSH_TIMEOUT_S)
    assert service.archive.frame_count() == 10
    service.close()
