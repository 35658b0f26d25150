"""The archive on a SQLite file and on PostgreSQL: the same tests, the same code."""

from __future__ import annotations

import csv
import io
import math
import os
import signal
import subprocess
import sys
from datetime import timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from groundstation.clock import SimulatedClock
from groundstation.storage import Migration, SchemaError, migrate, open_database
from groundstation.telemetry import schema
from groundstation.telemetry.archive import RetentionPolicy, TelemetryArchive, UnknownNameError
from groundstation.telemetry.decoder import TelemetryDecoder
from groundstation.telemetry.dictionary import TelemetryDictionary, demo_dictionary
from groundstation.telemetry.frames import TelemetryFrame
from tests.conftest import REPO
from tests.groundstation.telemetry.conftest import T0, FrameFactory, reception

ACKS_BEFORE_KILL = 40
SAMPLES_PER_HEALTH_FRAME = 20


def test_round_trip(
    db_target: str, clock: SimulatedClock, dictionary: TelemetryDictionary, health_frame: FrameFactory
) -> None:
    frames = [health_frame("node-1", seconds=10 * i, battery_mv=3600 + i) for i in range(50)]
    frames += [health_frame("node-2", seconds=10 * i, battery_mv=4000 - i, mode=0) for i in range(50)]
    decoded = TelemetryDecoder(dictionary).decode(frames)
    with TelemetryArchive.open(db_target, clock) as archive:
        receipt = archive.write(decoded)
        assert receipt.frame_count == 100
        assert receipt.sample_count == 100 * SAMPLES_PER_HEALTH_FRAME
        assert len(set(receipt.frame_ids)) == 100
        series = archive.query_parameter("node-1", "battery_voltage")
        assert series.unit == "V"
        assert series.raw.tolist() == [3600 + i for i in range(50)]
        np.testing.assert_allclose(series.eng, [(3600 + i) / 1000 for i in range(50)], rtol=0, atol=1e-12)
        assert series.times() == [T0 + timedelta(seconds=10 * i) for i in range(50)]
        window = archive.query_parameter(
            "node-2", "mode", since=T0 + timedelta(seconds=100), until=T0 + timedelta(seconds=200)
        )
        assert window.text == ("safe",) * 10
        assert archive.node_names() == ["node-1", "node-2"]
        assert "battery_voltage" in archive.parameter_names()
        stored = archive.frames("node-2")
        assert [f.id for f in stored] == list(receipt.frame_ids[50:])
        assert len(stored) == 50
        assert stored[0].data == frames[50].data
        assert (stored[0].station, stored[0].snr_db, stored[0].decoder) == ("gs-test", 12.5, "g3ruh-9600")
        assert stored[0].frequency_hz == 435_800_000.0
        assert stored[0].packet == "node_health"
        with pytest.raises(UnknownNameError, match="unknown node 'node-9'"):
            archive.query_parameter("node-9", "battery_voltage")


def test_undecodable_frames_are_kept_raw(
    db_target: str, clock: SimulatedClock, dictionary: TelemetryDictionary
) -> None:
    alien = TelemetryFrame("node-3", 0x2AA, b"\xde\xad", reception(T0, snr_db=None))
    with TelemetryArchive.open(db_target, clock) as archive:
        archive.write(TelemetryDecoder(dictionary).decode([alien]))
        (stored,) = archive.frames()
        assert (stored.data, stored.packet, stored.reject_reason, stored.snr_db) == (
            b"\xde\xad",
            None,
            "unknown APID 0x2aa",
            None,
        )
        assert archive.sample_count() == 0


def test_nan_from_a_float_sensor_survives(
    db_target: str, clock: SimulatedClock, dictionary: TelemetryDictionary, health_frame: FrameFactory
) -> None:
    frames = [health_frame(solar_current_a=math.nan), health_frame(seconds=1, solar_current_a=math.inf)]
    with TelemetryArchive.open(db_target, clock) as archive:
        archive.write(TelemetryDecoder(dictionary).decode(frames))
        eng = archive.query_parameter("node-1", "solar_current").eng
        assert math.isnan(eng[0])
        assert eng[1] == math.inf


def test_csv_export_parses_back(
    db_target: str, clock: SimulatedClock, dictionary: TelemetryDictionary, health_frame: FrameFactory
) -> None:
    frames = [health_frame("node-1", seconds=i, obc_centi_c=100 * i) for i in range(5)]
    with TelemetryArchive.open(db_target, clock) as archive:
        archive.write(TelemetryDecoder(dictionary).decode(frames))
        out = io.StringIO()
        assert archive.export_samples_csv(out, parameter="obc_temperature") == 5
        rows = list(csv.DictReader(io.StringIO(out.getvalue())))
        assert [float(r["eng_value"]) for r in rows] == [float(i) for i in range(5)]
        assert rows[0]["time_utc"] == T0.isoformat()
        assert rows[0]["unit"] == "degC"
        mode_out = io.StringIO()
        archive.export_samples_csv(mode_out, node="node-1", parameter="mode")
        assert {r["text"] for r in csv.DictReader(io.StringIO(mode_out.getvalue()))} == {"nominal"}
        frames_out = io.StringIO()
        assert archive.export_frames_csv(frames_out) == 5
        first = next(csv.DictReader(io.StringIO(frames_out.getvalue())))
        assert bytes.fromhex(first["data_hex"]) == frames[0].data


def test_retention_per_table(
    db_target: str, clock: SimulatedClock, dictionary: TelemetryDictionary, health_frame: FrameFactory
) -> None:
    day = timedelta(days=1)
    frames = [health_frame(at=T0 - d * day) for d in (0, 5, 20, 40)]
    with TelemetryArchive.open(db_target, clock) as archive:
        archive.write(TelemetryDecoder(dictionary).decode(frames))
        report = archive.apply_retention(RetentionPolicy(frames_days=10, samples_days=30), now=T0)
        assert (report.frames_deleted, report.samples_deleted) == (2, SAMPLES_PER_HEALTH_FRAME)
        assert archive.frame_count() == 2
        assert len(archive.query_parameter("node-1", "uptime")) == 3
    with pytest.raises(ValueError, match="frames_days must be > 0"):
        RetentionPolicy(frames_days=0)


def test_migrations_are_idempotent_and_refuse_newer_schemas(db_target: str, clock: SimulatedClock) -> None:
    TelemetryArchive.open(db_target, clock).close()
    db = open_database(db_target)
    try:
        assert migrate(db, schema.MIGRATIONS, clock.now()) == []
        # Another component (the command lifecycle, later) adds its own steps to the same database.
        table = sa.Table("other_things", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))
        other = (Migration("other", 1, "things", lambda conn: table.create(conn)),)
        assert [m.version for m in migrate(db, other, clock.now())] == [1]
        with db.begin() as conn:
            conn.execute(sa.text("INSERT INTO schema_migrations VALUES ('telemetry', 99, 'future', 0)"))
        newer = f"'telemetry' is version 99, newer than this program's {len(schema.MIGRATIONS)}"
        with pytest.raises(SchemaError, match=newer):
            migrate(db, schema.MIGRATIONS, clock.now())
    finally:
        db.close()


def test_sqlite_runs_in_wal_mode(tmp_path: str, clock: SimulatedClock) -> None:
    path = f"{tmp_path}/wal.db"
    with TelemetryArchive.open(path, clock) as archive, archive.db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_killed_writer_loses_no_acknowledged_frame(db_target: str, clock: SimulatedClock) -> None:
    last_acked = -1
    with subprocess.Popen(
        [sys.executable, "-m", "tests.groundstation.telemetry.writer_proc", db_target],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        try:
            for _ in range(ACKS_BEFORE_KILL):
                line = proc.stdout.readline()
                assert line.startswith("ack "), f"writer said {line!r}"
                last_acked = int(line.split()[1])
            os.kill(proc.pid, signal.SIGKILL)  # mid-stream: it is already writing the next batch
        finally:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with TelemetryArchive.open(db_target, clock) as archive:
        assert archive.db.integrity_check() == "ok"
        uptimes: set[int] = set()
        for node in ("node-0", "node-1", "node-2"):
            uptimes.update(int(v) for v in archive.query_parameter(node, "uptime").raw)
        assert set(range(last_acked + 1)) <= uptimes
        # Whole batches only: a transaction is all or nothing.
        frames = archive.frame_count()
        assert frames % 7 == 0
        assert frames >= last_acked + 1
        assert archive.sample_count() == frames * SAMPLES_PER_HEALTH_FRAME
        # Still writable after the crash.
        more = TelemetryDecoder(demo_dictionary()).decode(
            [TelemetryFrame("node-0", 0x101, bytes(48), reception(T0))]
        )
        assert archive.write(more).frame_count == 1
