"""`groundstation passes` and `groundstation demo`: the CLI contract, end to end."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from groundstation.cli import main
from groundstation.demo import DEMO_STATIONS, demo_constellation, demo_epoch
from tests.conftest import DATA, REPO
from tracking.element_io import read_elements
from tracking.geometry import GroundLocation
from tracking.passes import find_passes

FIXTURE = DATA / "passes-fixture-2026-08-22.csv"
START = "2026-08-22T18:00:00Z"
CONTRACT_KEYS = {"norad_id", "name", "station", "aos", "tca", "los", "max_elevation_deg", "aos_azimuth_deg",
                 "los_azimuth_deg"}  # fmt: skip
MILLISECOND_S = 0.001


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _when(text: str) -> datetime:
    assert text.endswith("Z")
    return datetime.fromisoformat(text[:-1] + "+00:00")


def test_json_contract(capsys):
    code, out, _ = _run(
        capsys,
        "passes",
        "--elements",
        str(FIXTURE),
        "--station",
        "Delft=52.0,4.37,12",
        "--station",
        "Hobart=-42.88,147.33",
        "--start",
        START,
        "--hours",
        "24",
        "--format",
        "json",
    )
    assert code == 0
    records = json.loads(out)
    assert len(records) > 100
    for record in records:
        assert set(record) >= CONTRACT_KEYS
        assert isinstance(record["norad_id"], int)
        for key in ("aos", "tca", "los"):
            # ISO 8601 UTC, Z, exactly three decimals of seconds.
            assert len(record[key]) == len("2026-08-22T18:00:00.000Z")
            assert record[key][19] == "."
        assert _when(record["aos"]) <= _when(record["tca"]) <= _when(record["los"])
    assert [r["aos"] for r in records] == sorted(r["aos"] for r in records)
    assert {r["station"] for r in records} == {"Delft", "Hobart"}
    assert any(r["norad_id"] > 99999 for r in records)  # OMM-only catalog numbers work end to end
    # The same answer as the library, to the millisecond.
    expected = find_passes(
        read_elements(FIXTURE).elements,
        [GroundLocation("Delft", 52.0, 4.37, 12.0), GroundLocation("Hobart", -42.88, 147.33)],
        _when("2026-08-22T18:00:00.000Z"),
        _when("2026-08-23T18:00:00.000Z"),
    ).passes
    assert len(expected) == len(records)
    for p, record in zip(expected, records, strict=True):
        assert (p.norad_id, p.station) == (record["norad_id"], record["station"])
        assert abs((_when(record["aos"]) - p.aos).total_seconds()) <= MILLISECOND_S / 2
        assert record["max_elevation_deg"] == pytest.approx(p.max_elevation_deg, abs=1e-3)


def test_pass_in_progress_at_window_end_is_cut_and_flagged(capsys):
    # ABS-6 (GEO) is up all the time over Hobart; the ISS is up over Delft at 2026-08-22 18:49:20.
    code, out, _ = _run(
        capsys,
        "passes",
        "--elements",
        str(FIXTURE),
        "--station",
        "Hobart=-42.88,147.33",
        "--start",
        START,
        "--hours",
        "2",
        "--satellite",
        "25924",
        "--format",
        "json",
    )
    assert code == 0
    (geo,) = json.loads(out)
    assert (geo["aos"], geo["los"]) == ("2026-08-22T18:00:00.000Z", "2026-08-22T20:00:00.000Z")
    assert geo["starts_before_window"] is True
    assert geo["ends_after_window"] is True


def test_satellite_filter_csv_and_output_file(capsys, tmp_path):
    target = tmp_path / "passes.csv"
    code, out, _ = _run(
        capsys,
        "passes",
        "--elements",
        str(FIXTURE),
        "--station",
        "Delft=52.0,4.37",
        "--start",
        START,
        "--satellite",
        "25544",
        "100001",
        "--satellite",
        "48274",
        "--format",
        "csv",
        "--output",
        str(target),
    )
    assert code == 0
    assert out == ""
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert {int(row["norad_id"]) for row in rows} == {25544, 100001, 48274}
    assert set(rows[0]) >= CONTRACT_KEYS


def test_table_and_stale_warning(capsys):
    code, out, err = _run(
        capsys,
        "passes",
        "--elements",
        str(FIXTURE),
        "--station",
        "Delft=52.0,4.37",
        "--start",
        "2026-11-22T00:00:00",
        "--satellite",
        "25544",
    )
    assert code == 0
    assert out.splitlines()[0].startswith("AOS (UTC)")
    assert "older than 7 days" in err


def test_rejected_entries_are_reported_and_the_rest_loads(capsys, tmp_path):
    lines = FIXTURE.read_text().splitlines()
    broken = tmp_path / "broken.csv"
    broken.write_text(
        "\n".join([lines[0], lines[1].replace(",12.53699135,", ",not-a-number,"), *lines[2:]]) + "\n"
    )
    code, out, err = _run(
        capsys,
        "passes",
        "--elements",
        str(broken),
        "--station",
        "Delft=52.0,4.37",
        "--start",
        START,
        "--format",
        "json",
    )
    assert code == 0
    assert f"{broken}:2:" in err
    assert "1 entries rejected" in err
    assert 7530 not in {r["norad_id"] for r in json.loads(out)}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--station", "Delft=52.0"], "--station 'Delft=52.0'"),
        (["--station", "Delft=95,4"], "latitude_deg"),
        (["--station", "Delft=x,4"], "must be numbers"),
        (["--station", "A=1,2", "--station", "A=3,4"], "used twice"),
        (["--station", "A=1,2", "--start", "yesterday"], "--start"),
        (["--station", "A=1,2", "--hours", "-1"], "--hours"),
        (["--station", "A=1,2", "--horizon-deg", "90"], "--horizon-deg"),
        (["--station", "A=1,2", "--satellite", "424242"], "424242"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    code, _, err = _run(capsys, "passes", "--elements", str(FIXTURE), *argv)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert message in err


def test_missing_file_and_bad_option_in_a_real_process(tmp_path):
    for argv in (
        ["--elements", str(tmp_path / "nope.tle"), "--station", "A=1,2"],
        ["--elements", str(FIXTURE), "--station", "A=1,2", "--format", "xml"],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "groundstation", "passes", *argv],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 2
        assert len(proc.stderr.strip().splitlines()) == 1


def test_demo_constellation_and_stations():
    now = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)
    epoch = demo_epoch(now)
    assert epoch == datetime(2026, 11, 22, tzinfo=UTC)
    nodes = demo_constellation(epoch)
    assert len(nodes) == 24
    assert len({node.norad_id for node in nodes}) == 24
    assert all(node.epoch == epoch for node in nodes)
    assert len({station.name for station in DEMO_STATIONS}) == len(DEMO_STATIONS) >= 5
    passes = find_passes(nodes, DEMO_STATIONS, now, now + timedelta(hours=3)).passes
    assert {p.station for p in passes} == {station.name for station in DEMO_STATIONS}


def test_demo_command(capsys):
    code, out, _ = _run(capsys, "demo", "--start", "2026-11-22T12:00:00Z", "--hours", "2")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Demo constellation: 24 nodes")
    table = lines[lines.index("") + 1 :]
    assert table[0].startswith("AOS (UTC)")
    assert len([line for line in table if "NODE-" in line]) > 20
