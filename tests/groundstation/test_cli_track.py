"""`groundstation track`: one-line input errors, and real-time runs against rotctld -m 1 / rigctld -m 1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest

from groundstation.cli import main
from radios.link import Backoff
from radios.registry import open_rotator
from radios.rotator import RotatorLimits
from tests.conftest import DATA, REPO
from tests.radios.hamlib_daemons import HamlibDaemon
from tracking.element_io import read_elements
from tracking.look import subsatellite_points
from tracking.propagation import Propagator

ELEMENTS = DATA / "elements" / "celestrak-active-2025-04-23-sample.3le"
GOES_16 = 41866  # drifts slowly with these old elements: in view for hours from a station near it
RUN_TIMEOUT_S = 60.0
DUMMY = RotatorLimits(-180.0, 450.0, 0.0, 90.0)


def station_near_goes16() -> str:
    """A station 30° north of GOES 16's sub-satellite point now (the satellite stands ~55° high, south)."""
    (goes,) = [e for e in read_elements(ELEMENTS).elements if e.norad_id == GOES_16]
    point = subsatellite_points(Propagator([goes]).propagate(datetime.now(UTC)))
    return f"North={float(point.latitude_deg[0, 0]) + 30.0:.4f},{float(point.longitude_deg[0, 0]):.4f},120"


def exit_code(argv: list[str]) -> int:
    """`main`'s exit code, whether it returns it or argparse exits with it."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


def track_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "groundstation", "track", *args]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--satellite", "99999", "--station", "A=1,2"], "no element set for catalog number 99999"),
        (["--satellite", "25544", "--station", "A=1"], "expected NAME=LAT_DEG,LON_DEG[,ALT_M]"),
        (["--satellite", "25544", "--station", "A=95,2"], "latitude_deg must be within"),
        (["--satellite", "x25544", "--station", "A=1,2"], "not a catalog number"),
        (["--satellite", "25544", "--station", "A=1,2", "--rotator", "ftp://x"], "--rotator: rotator URI"),
        (
            ["--satellite", "25544", "--station", "A=1,2", "--rig", "rotctld://h:1"],
            "--rig: give --downlink-hz",
        ),
        (
            ["--satellite", "25544", "--station", "A=1,2", "--rig", "gs232:/dev/x", "--downlink-hz", "1e8"],
            "--rig: rig URI",
        ),
        (["--satellite", "25544", "--station", "A=1,2", "--downlink-hz", "-5"], "--downlink-hz: -5.0 is not"),
        (["--satellite", "25544", "--station", "A=1,2", "--duration", "0"], "--duration: 0.0 must be"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, args, message):
    assert exit_code(["track", "--elements", str(ELEMENTS), *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_missing_elements_file_is_one_line_and_exit_2(capsys, tmp_path):
    missing = tmp_path / "none.tle"
    assert main(["track", "--elements", str(missing), "--satellite", "1", "--station", "A=1,2"]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err
    assert err.count("\n") == 1


@pytest.fixture
def daemons():
    rotctld = HamlibDaemon("rotctld", "-m", "1").start()
    rigctld = HamlibDaemon("rigctld", "-m", "1").start()
    yield rotctld, rigctld
    rotctld.kill()
    rigctld.kill()


def azimuth_now(uri: str) -> float:
    rotator = open_rotator(uri, DUMMY, timeout_s=1.0, backoff=Backoff())
    try:
        return rotator.position().azimuth_deg
    finally:
        rotator.close()


@pytest.mark.slow
def test_track_runs_in_real_time_and_parks_at_duration(daemons):
    rotctld, rigctld = daemons
    done = subprocess.run(
        track_command(
            "--elements",
            str(ELEMENTS),
            "--satellite",
            str(GOES_16),
            "--station",
            station_near_goes16(),
            "--rotator",
            rotctld.uri,
            "--rig",
            rigctld.uri,
            "--downlink-hz",
            "1694100000",
            "--uplink-hz",
            "2027000000",
            "--duration",
            "6",
        ),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("rotator rotctld://") and "-180..450°" in line for line in lines), lines
    assert any(line.startswith("pass: in progress") for line in lines), lines
    assert any(" move " in line and "<- az " in line for line in lines), lines
    assert any(" tune " in line and "<- RX " in line for line in lines), lines
    assert any(" tune " in line and "<- TX " in line for line in lines), lines
    assert any(" park " in line and "<- az 0.0° el 90.0°" in line for line in lines), lines
    assert lines[-1] == "stopped: --duration reached"
    # Parked: the dummy, which was swinging south (|azimuth| toward 180°), now heads back to 0°.
    first = abs(azimuth_now(rotctld.uri))
    time.sleep(0.5)
    assert abs(azimuth_now(rotctld.uri)) < first


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_parks(daemons):
    rotctld, _ = daemons
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    # Ctrl-C as from a terminal: a shell starts background jobs (`make test &`) with SIGINT ignored,
    # which the child would inherit, and Python then never raises KeyboardInterrupt.
    command = track_command(
        "--elements",
        str(ELEMENTS),
        "--satellite",
        str(GOES_16),
        "--station",
        station_near_goes16(),
        "--rotator",
        rotctld.uri,
    )
    proc = subprocess.Popen(
        ["env", "--default-signal=INT", *command],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    try:
        deadline = time.monotonic() + RUN_TIMEOUT_S
        seen = []
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            seen.append(line)
            if " move " in line:
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=RUN_TIMEOUT_S)
    finally:  # never leave a tracker running after a failure
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    rest = out.splitlines()
    assert "interrupted: parking the rotator" in rest, seen + rest
    assert any(" park " in line for line in rest), seen + rest
    assert "Traceback" not in err
