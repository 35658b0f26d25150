"""`groundstation plan` end to end: element files and TOML in, every export format out."""

import json
import subprocess
import sys
from datetime import UTC, datetime

import icalendar
import pytest

from groundstation.cli import main
from groundstation.planning.config import load_requests, load_stations
from groundstation.planning.export import from_json
from tests.conftest import REPO
from tests.groundstation.planning.tracking_check import contact_problems
from tracking.element_io import format_elements
from tracking.walker import walker_delta

EPOCH = datetime(2026, 11, 22, tzinfo=UTC)
ELEMENTS = walker_delta(12, 3, 1, 550.0, 97.6, EPOCH)

STATIONS = """\
[[station]]
name = "Delft"
latitude_deg = 52.0
longitude_deg = 4.37
altitude_m = 0
antennas = 1
min_elevation_deg = 5
setup_s = 120
transmit = true

[[station]]
name = "Kiruna"
latitude_deg = 67.86
longitude_deg = 20.96
antennas = 2
min_elevation_deg = 10
horizon_mask = [[0, 5], [90, 15], [180, 8], [270, 5]]
setup_s = 60
blackouts = [{ start = 2026-11-22T06:00:00Z, end = 2026-11-22T08:00:00Z }]
"""

REQUESTS = """\
[[node]]
norad_id = 900
priority = 3
min_contact_s = 120
contacts_per_day = 3
needs_uplink = true

[[node]]
norad_id = 901
min_elevation_deg = 30

[[node]]
norad_id = 902
priority = 2
preferred_stations = ["Kiruna"]
contacts_per_day = 4

[[node]]
norad_id = 903
contacts_per_day = 2

[[node]]
norad_id = 4242
"""


@pytest.fixture
def files(tmp_path):
    elements = tmp_path / "walker.3le"
    elements.write_text(format_elements(ELEMENTS, "3le"))
    stations = tmp_path / "stations.toml"
    stations.write_text(STATIONS)
    requests = tmp_path / "requests.toml"
    requests.write_text(REQUESTS)
    return tmp_path, ["--elements", str(elements), "--stations", str(stations), "--requests", str(requests)]


def _plan(capsys, args, *extra):
    code = main(["plan", *args, "--start", "2026-11-22T00:00:00Z", "--hours", "24", *extra])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured


@pytest.mark.parametrize("solver", ["optimal", "greedy"])
def test_json_plan_follows_the_contract_and_the_tracking_engine(files, capsys, solver):
    tmp_path, args = files
    doc = json.loads(_plan(capsys, args, "--format", "json", "--solver", solver).out)
    assert {"contacts", "objective", "gap", "unmet"} <= set(doc)
    assert doc["contacts"]
    for item in doc["contacts"]:
        assert set(item) == {"station", "antenna", "norad_id", "start", "end"}
        assert item["start"].endswith("Z")
    if solver == "greedy":
        assert doc["gap"] is None
    else:
        assert doc["gap"] is not None
    plan = from_json(json.dumps(doc))
    stations = load_stations(tmp_path / "stations.toml")
    nodes = [n for n in load_requests(tmp_path / "requests.toml") if n.norad_id != 4242]
    assert contact_problems(plan, stations, nodes, ELEMENTS) == []
    # Node 900 needs an uplink: only Delft transmits.
    assert {c.station for c in plan.contacts_of(900)} == {"Delft"}
    (missing,) = [u for u in plan.unmet if u.norad_id == 4242]
    assert missing.reason == "no element set for this node in the --elements files"


def test_every_format_and_output_file(files, capsys):
    tmp_path, args = files
    table = _plan(capsys, args).out
    assert "contacts, solver optimal" in table
    out = tmp_path / "plan.ics"
    captured = _plan(capsys, args, "--format", "ics", "--output", str(out))
    assert captured.out == ""
    assert f"-> {out}" in captured.err
    events = list(icalendar.Calendar.from_ical(out.read_text()).walk("VEVENT"))
    csv_text = _plan(capsys, args, "--format", "csv").out
    assert len(csv_text.splitlines()) == len(events) + 1
    ssf = _plan(capsys, args, "--format", "ccsds-ssf").out
    assert ssf.count("<scheduledActivity ") == len(events)


def test_python_dash_m_runs_it(files):
    _, args = files
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "groundstation",
            "plan",
            *args,
            "--start",
            "2026-11-22T00:00:00Z",
            "--hours",
            "6",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "contacts, solver optimal" in proc.stdout


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--start", "tomorrow"], "--start: not an ISO 8601 time"),
        (["--start", "2026-11-22T00:00:00"], "--start: time 2026-11-22T00:00:00 needs a UTC offset"),
        (["--hours", "0"], "--hours: must be in (0, 744]"),
        (["--time-limit", "-1"], "--time-limit: must be > 0 s"),
    ],
)
def test_bad_options_are_one_line_exit_2(files, capsys, extra, message):
    _, args = files
    code = main(["plan", *args, *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_bad_files_are_one_line_exit_2(files, capsys):
    tmp_path, args = files
    (tmp_path / "requests.toml").write_text(
        REQUESTS + '\n[[node]]\nnorad_id = 5\npreferred_stations = ["Mars"]\n'
    )
    code = main(["plan", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert "requests.toml:27: node[5].preferred_stations: unknown station 'Mars'" in err
    (tmp_path / "requests.toml").write_text(REQUESTS)
    (tmp_path / "walker.3le").write_text("this is not an element file\n")
    code = main(["plan", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert "walker.3le" in err
    assert len(err.strip().splitlines()) == 1
