"""`groundstation telemetry query|export` on a real archive file."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from groundstation.cli import main
from groundstation.clock import SimulatedClock
from groundstation.telemetry.archive import TelemetryArchive
from groundstation.telemetry.decoder import TelemetryDecoder
from groundstation.telemetry.dictionary import TelemetryDictionary
from tests.conftest import REPO
from tests.groundstation.telemetry.conftest import T0, FrameFactory

BAD_INPUT = 2


@pytest.fixture
def db(
    tmp_path: Path, clock: SimulatedClock, dictionary: TelemetryDictionary, health_frame: FrameFactory
) -> Path:
    path = tmp_path / "gs.db"
    frames = [health_frame("node-1", seconds=60 * i, battery_mv=3700 + 10 * i, mode=i % 2) for i in range(6)]
    with TelemetryArchive.open(path, clock) as archive:
        archive.write(TelemetryDecoder(dictionary).decode(frames))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["telemetry", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_query_json(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "query",
        "--db",
        str(db),
        "--node",
        "node-1",
        "--parameter",
        "battery_voltage",
        "--since",
        (T0 + timedelta(minutes=2)).isoformat(),
        "--format",
        "json",
    )
    assert code == 0
    doc = json.loads(out)
    assert (doc["node"], doc["parameter"], doc["unit"]) == ("node-1", "battery_voltage", "V")
    assert [s["raw"] for s in doc["samples"]] == [3720, 3730, 3740, 3750]
    assert doc["samples"][0]["time"] == (T0 + timedelta(minutes=2)).isoformat()
    assert doc["samples"][0]["eng"] == pytest.approx(3.72, abs=1e-12)


def test_query_csv_and_table(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "query", "--db", str(db), "--node", "node-1", "--parameter", "mode", "--format", "csv"
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["text"] for r in rows] == ["safe", "nominal"] * 3
    code, out, _ = run(
        capsys,
        "query",
        "--db",
        str(db),
        "--node",
        "node-1",
        "--parameter",
        "battery_voltage",
        "--since",
        "2026-11-22T12:04:00",
    )  # naive: UTC
    lines = out.splitlines()
    assert lines[0] == "node-1 battery_voltage [V]: 2 samples"
    assert lines[2].split() == [(T0 + timedelta(minutes=4)).isoformat(), "3.74", "3740"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--node", "node-7", "--parameter", "mode"], "--node: unknown node 'node-7' (known: node-1)"),
        (
            ["--node", "node-1", "--parameter", "volts"],
            "--parameter: unknown parameter 'volts' (known: adcs_state,",
        ),
        (
            ["--node", "node-1", "--parameter", "mode", "--since", "yesterday"],
            "--since: not an ISO 8601 time: 'yesterday'",
        ),
        (
            ["--node", "node-1", "--parameter", "mode", "--since", "2026-11-23", "--until", "2026-11-22"],
            "--until: ",
        ),
    ],
)
def test_query_bad_input_is_one_line_exit_2(
    db: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, "query", "--db", str(db), *args)
    assert code == BAD_INPUT
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith(f"groundstation: error: {message}")


def test_query_refuses_missing_and_foreign_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none.db"
    code, _, err = run(capsys, "query", "--db", str(missing), "--node", "n", "--parameter", "p")
    assert (code, err.strip()) == (BAD_INPUT, f"groundstation: error: --db: no such archive: {missing}")
    assert not missing.exists()  # a query never creates an archive
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    code, _, err = run(capsys, "query", "--db", str(junk), "--node", "n", "--parameter", "p")
    assert code == BAD_INPUT
    assert "not a readable database" in err
    assert len(err.strip().splitlines()) == 1


def test_export_samples_and_frames(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "out.csv"
    code, _, err = run(capsys, "export", "--db", str(db), "--parameter", "uptime", "--out", str(out_file))
    assert code == 0
    assert "wrote 6 rows" in err
    assert len(list(csv.DictReader(io.StringIO(out_file.read_text())))) == 6
    code, out, _ = run(capsys, "export", "--db", str(db), "--frames")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 6
    assert len(bytes.fromhex(rows[0]["data_hex"])) == 48


def test_the_installed_command_runs(db: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "groundstation",
            "telemetry",
            "query",
            "--db",
            str(db),
            "--node",
            "node-1",
            "--parameter",
            "uptime",
            "--format",
            "csv",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 7


def test_prune_applies_retention_per_table(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    dictionary: TelemetryDictionary,
    health_frame: FrameFactory,
) -> None:
    # Frames stamped relative to the real now: prune uses the system clock, as an operator would.
    now = datetime.now(UTC)
    path = tmp_path / "old.db"
    frames = [health_frame("node-1", at=now - timedelta(days=d)) for d in (1, 10, 100)]
    with TelemetryArchive.open(path, SimulatedClock(now, speed=0)) as archive:
        archive.write(TelemetryDecoder(dictionary).decode(frames))
    code, out, _ = run(capsys, "prune", "--db", str(path), "--frames-days", "5", "--samples-days", "50")
    assert code == 0
    assert out.strip() == "deleted 2 frames, 20 samples, 0 closed alarms"
    code, _, err = run(capsys, "prune", "--db", str(path), "--samples-days", "-3")
    assert (code, err.strip()) == (BAD_INPUT, "groundstation: error: --samples-days: must be > 0, got -3")
    code, _, err = run(capsys, "prune", "--db", str(path))
    assert code == BAD_INPUT
    assert "give at least one of" in err
