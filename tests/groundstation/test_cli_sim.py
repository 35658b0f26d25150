"""`groundstation sim run` and `groundstation commands list`: output, files, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from groundstation.cli import main
from groundstation.clock import SimulatedClock
from groundstation.telemetry.archive import TelemetryArchive
from tests.groundstation.governance.conftest import NOW

EXIT_USAGE = 2


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cli") / "run.db"
    assert main(["sim", "run", "--nodes", "2", "--hours", "1", "--seed", "3", "--db", str(db)]) == 0
    return db


def test_sim_run_prints_a_summary_and_leaves_its_files(archive, capsys):
    assert archive.exists()
    workdir = archive.with_name(archive.name + ".sim")
    assert (workdir / "governance-audit.jsonl").exists()
    assert sorted(p.name for p in (workdir / "nodes").iterdir()) == ["NODE-01-01", "NODE-01-02"]
    assert main(["audit", "verify", "--log", str(workdir / "governance-audit.jsonl")]) == 0


def test_commands_list_shows_every_command(archive, capsys):
    assert main(["commands", "list", "--db", str(archive), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert len(document) == 8
    assert {c["node"] for c in document} == {"NODE-01-01", "NODE-01-02"}
    assert all(c["transitions"][0]["state"] == "queued" for c in document)
    assert [t["state"] for t in document[-1]["transitions"]][-1] == "expired"
    assert main(["commands", "list", "--db", str(archive), "--node", "NODE-01-02"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["id", "node", "state"]
    assert all("NODE-01-02" in line for line in table[1:])


def test_a_paced_run_logs_as_it_goes_and_gives_the_same_summary(archive, capsys):
    # A speed factor paces the run by a simulated clock and logs passes and commands on stderr;
    # the summary (json on stdout) is the one the same seed gives at max speed.
    assert (
        main(
            [
                "sim",
                "run",
                "--nodes",
                "2",
                "--hours",
                "1",
                "--seed",
                "3",
                "--speed",
                "1e6",
                "--format",
                "json",
            ]
        )
        == 0
    )
    out = capsys.readouterr()
    paced = json.loads(out.out)
    assert "AOS  " in out.err
    assert "CMD  #1" in out.err
    assert main(["sim", "run", "--nodes", "2", "--hours", "1", "--seed", "3", "--format", "json"]) == 0
    fast = json.loads(capsys.readouterr().out)
    assert paced == fast
    assert fast["archive"] is None  # no --db: a temporary archive, removed afterwards
    assert fast["frames"]["downlink_sent"] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--speed", "fast"], "--speed: expected a number or max"),
        (["--speed", "0"], "--speed: must be > 0"),
        (["--nodes", "25"], "--nodes: the demo constellation has 1..24 nodes"),
        (["--hours", "-1"], "--hours: must be > 0"),
        (["--start", "yesterday"], "--start: not an ISO 8601 time"),
        (["--db", "/no/such/folder/x.db"], "--db: no such folder"),
        (["--db", "postgresql://localhost/gs"], "--db: sim run writes a new SQLite file"),
    ],
)
def test_sim_run_bad_input_is_one_line_and_exit_2(args, message, capsys):
    assert main(["sim", "run", *args]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_sim_run_refuses_to_overwrite(archive, capsys):
    assert main(["sim", "run", "--db", str(archive)]) == EXIT_USAGE
    assert "already exists" in capsys.readouterr().err


def test_commands_list_on_missing_or_foreign_databases(tmp_path, capsys):
    assert main(["commands", "list", "--db", str(tmp_path / "none.db")]) == EXIT_USAGE
    assert "no such database" in capsys.readouterr().err
    only_telemetry = tmp_path / "tm.db"
    TelemetryArchive.open(only_telemetry, SimulatedClock(NOW, speed=0)).close()
    assert main(["commands", "list", "--db", str(only_telemetry)]) == EXIT_USAGE
    assert "holds no command lifecycle" in capsys.readouterr().err
