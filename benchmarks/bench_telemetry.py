"""Telemetry archive: ingest rate (decode + durable write) and a 30-day query of one parameter.

Reference: Yamcs' perftest reports 369,000 parameter samples/s on a server (a published figure,
not measured here: Yamcs does not run on this machine). Measured in the same run: the same rows
through bare sqlite3 executemany (no decoding, no SQLAlchemy), the floor of what SQLite allows.

Run: python -m benchmarks.bench_telemetry
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from groundstation.clock import SimulatedClock
from groundstation.telemetry.archive import TelemetryArchive
from groundstation.telemetry.decoder import TelemetryDecoder
from groundstation.telemetry.dictionary import demo_dictionary
from groundstation.telemetry.frames import Reception, TelemetryFrame

YAMCS_PUBLISHED_SAMPLES_PER_S = 369_000  # Yamcs perftest, published; not measured here
INGEST_GOAL_SAMPLES_PER_S = 100_000
QUERY_GOAL_S = 0.100
BATCH_FRAMES = 500  # frames per transaction (one acknowledgement)
INGEST_FRAMES = 20_000
DAYS = 30
NODES = 4
WOD_PERIOD_S = 60  # whole-orbit housekeeping logged once a minute, downlinked during passes
QUERY_REPEATS = 7
T0 = datetime(2026, 10, 1, tzinfo=UTC)


def health_frames(
    count: int, start: datetime, period_s: float, nodes: int, seed: int
) -> list[TelemetryFrame]:
    """Health packets with plausible slowly varying values (random bytes would be all alarms)."""
    rng = np.random.default_rng(seed)
    data = np.zeros((count, 48), dtype=np.uint8)
    words = data.view(np.uint8)
    index = np.arange(count)
    # battery mV (bytes 4-5, big-endian) around 3.9 V, temperatures in centidegrees around 20 °C.
    mv = (3900 + 100 * np.sin(index / 90) + rng.normal(0, 5, count)).astype(">u2")
    words[:, 4:6] = mv.view(np.uint8).reshape(count, 2)
    words[:, 6] = 160
    words[:, 7] = 1
    for offset in (8, 10, 14):
        temps = (2000 + 500 * np.sin(index / 60 + offset) + rng.normal(0, 20, count)).astype(">i2")
        words[:, offset : offset + 2] = temps.view(np.uint8).reshape(count, 2)
    words[:, 12:14] = np.full(count, 2048, dtype=">u2").view(np.uint8).reshape(count, 2)
    words[:, 42:44] = np.full(count, -1000, dtype=">i2").view(np.uint8).reshape(count, 2)
    words[:, 44:48] = np.full(count, 0.5, dtype="<f4").view(np.uint8).reshape(count, 4)
    words[:, 0:4] = index.astype(">u4").view(np.uint8).reshape(count, 4)
    raw = data.tobytes()
    frames = []
    for i in range(count):
        node = i % nodes
        at = start + timedelta(seconds=(i // nodes) * period_s)
        rx = Reception(f"gs-{node % 2}", at, 435_800_000.0, 10.0, "g3ruh-9600")
        frames.append(TelemetryFrame(f"node-{node}", 0x101, raw[48 * i : 48 * i + 48], rx))
    return frames


def ingest(
    archive: TelemetryArchive, decoder: TelemetryDecoder, frames: list[TelemetryFrame]
) -> tuple[int, float]:
    samples = 0
    began = time.perf_counter()
    for i in range(0, len(frames), BATCH_FRAMES):
        samples += archive.write(decoder.decode(frames[i : i + BATCH_FRAMES])).sample_count
    return samples, time.perf_counter() - began


def bare_sqlite(path: Path, rows: int) -> float:
    """Samples/s of plain sqlite3 executemany into the same table layout (same pragmas)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(
        "CREATE TABLE s (node_id INT, parameter_id INT, time_us BIGINT, frame_id BIGINT, raw_value REAL, "
        "eng_value REAL, eng_text TEXT, PRIMARY KEY (node_id, parameter_id, time_us, frame_id)) WITHOUT ROWID"
    )
    per_batch = BATCH_FRAMES * 20
    data = [(i % 4, i % 20, i // 20, i // 20, float(i), float(i) * 0.001, None) for i in range(rows)]
    began = time.perf_counter()
    for i in range(0, rows, per_batch):
        with conn:
            conn.executemany("INSERT INTO s VALUES (?, ?, ?, ?, ?, ?, ?)", data[i : i + per_batch])
    elapsed = time.perf_counter() - began
    conn.close()
    return rows / elapsed


def postgres_ingest(frames: list[TelemetryFrame], decoder: TelemetryDecoder, clock: SimulatedClock) -> None:
    """The same ingest on PostgreSQL (GROUNDSTATION_TEST_POSTGRES_URL, or a throwaway local server)."""
    import sqlalchemy as sa

    url = os.environ.get("GROUNDSTATION_TEST_POSTGRES_URL")
    script = Path(__file__).resolve().parents[1] / "scripts" / "test-postgres"
    server = Path(tempfile.mkdtemp(prefix="bench-pg-"))  # directly in /tmp: reachable by the postgres user
    try:
        if not url:
            command = [sys.executable, str(script), "start", str(server)]
            proc = subprocess.run(command, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                print(f"ingest on PostgreSQL: skipped ({proc.stderr.strip() or 'no server'})")
                return
            url = proc.stdout.strip().splitlines()[-1]
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql("DROP DATABASE IF EXISTS gs_bench WITH (FORCE)")
            conn.exec_driver_sql("CREATE DATABASE gs_bench")
        target = sa.engine.make_url(url).set(database="gs_bench").render_as_string(hide_password=False)
        with TelemetryArchive.open(target, clock) as archive:
            samples, elapsed = ingest(archive, decoder, frames)
        with admin.connect() as conn:
            conn.exec_driver_sql("DROP DATABASE IF EXISTS gs_bench WITH (FORCE)")
        admin.dispose()
        print(
            f"ingest on PostgreSQL (COPY; test server runs without fsync): {samples / elapsed:,.0f} samples/s"
        )
    finally:
        subprocess.run([sys.executable, str(script), "stop", str(server)], capture_output=True, check=False)
        shutil.rmtree(server, ignore_errors=True)


def main() -> int:
    dictionary = demo_dictionary()
    decoder = TelemetryDecoder(dictionary)
    clock = SimulatedClock(T0, speed=0)
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-tm-") as tmp:
        folder = Path(tmp)
        # 1. Ingest.
        frames = health_frames(INGEST_FRAMES, T0, 10.0, NODES, seed=1)
        decoder.decode(frames[:10])  # warm imports (scipy for the spline)
        with TelemetryArchive.open(folder / "ingest.db", clock) as archive:
            samples, elapsed = ingest(archive, decoder, frames)
        rate = samples / elapsed
        floor = bare_sqlite(folder / "bare.db", samples)
        verdict = "PASS" if rate >= INGEST_GOAL_SAMPLES_PER_S else "FAIL"
        yamcs = YAMCS_PUBLISHED_SAMPLES_PER_S
        print(f"ingest: {samples:,} samples ({INGEST_FRAMES:,} frames, {BATCH_FRAMES} per transaction)")
        print(f"ingest: decoded and stored durably (SQLite WAL, synchronous=FULL) in {elapsed:.2f} s")
        print(f"ingest: {rate:,.0f} samples/s (goal >= {INGEST_GOAL_SAMPLES_PER_S:,}: {verdict})")
        print(f"ingest: ratio to Yamcs' published perftest ({yamcs:,} samples/s on a server; published,")
        print(f"        not measured here): {rate / yamcs:.2f}")
        print(f"ingest: bare sqlite3 executemany of the same rows, no decoding (measured now): {floor:,.0f}")
        print(f"        samples/s; ours is {rate / floor:.2f} of that floor")
        ok &= rate >= INGEST_GOAL_SAMPLES_PER_S
        postgres_ingest(frames, decoder, clock)

        # 2. 30 days of whole-orbit housekeeping for several nodes, then one parameter of one node.
        per_node = DAYS * 86_400 // WOD_PERIOD_S
        month = health_frames(per_node * NODES, T0, WOD_PERIOD_S, NODES, seed=2)
        with TelemetryArchive.open(folder / "month.db", clock) as archive:
            samples, elapsed = ingest(archive, decoder, month)
            params = len(dictionary.parameters)
            shape = f"{DAYS} days x {NODES} nodes x {params} parameters every {WOD_PERIOD_S} s"
            print(f"query: populated {shape}")
            print(f"       = {samples:,} samples in {elapsed:.1f} s ({samples / elapsed:,.0f} samples/s)")
        # Open as a reader does; one warm-up query of another parameter pays SQLAlchemy's one-time
        # statement set-up (~40 ms per process), which a long-lived archive pays once.
        with TelemetryArchive.open_existing(folder / "month.db") as archive:
            warm_began = time.perf_counter()
            archive.query_parameter("node-0", "obc_temperature", since=T0)
            warm = time.perf_counter() - warm_began
            timings = []
            for i in range(QUERY_REPEATS):
                began = time.perf_counter()
                series = archive.query_parameter(
                    f"node-{i % NODES}", "battery_voltage", since=T0, until=T0 + timedelta(days=DAYS)
                )
                timings.append(time.perf_counter() - began)
                assert len(series) == per_node, (len(series), per_node)
        median = statistics.median(timings)
        verdict = "PASS" if median < QUERY_GOAL_S else "FAIL"
        med, low, high, first = (t * 1000 for t in (median, min(timings), max(timings), warm))
        goal = QUERY_GOAL_S * 1000
        print(f"query: 30 days of battery_voltage for one node = {per_node:,} samples")
        print(f"       median {med:.1f} ms, min {low:.1f}, max {high:.1f} ms over {QUERY_REPEATS} runs")
        print(f"       (first query in the process {first:.1f} ms); goal < {goal:.0f} ms: {verdict}")
        ok &= median < QUERY_GOAL_S
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
