"""`groundstation track` options beyond the issue's contract: calibration offsets, linear transponders,
Doppler and rotator tuning, rotator limits, `--plan`, simulated time, and the settings file.

Runs use simulated time (`--start ... --speed 0`) over real ISS passes (`real_passes`) against
`rigctld -m 1`; what the rig holds is read back over rigctld's own protocol; the Doppler expected is
computed with Skyfield's range rate, not ours.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest
from skyfield.api import EarthSatellite, load, wgs84

from groundstation.cli import main
from tests.conftest import REPO, free_tcp_port
from tests.groundstation.station.real_passes import (
    ELEMENTS_FILE,
    iss,
    north_crossing_pass,
    zenith_pass,
)
from tests.radios.hamlib_daemons import HamlibDaemon

RUN_TIMEOUT_S = 120.0
SPEED_OF_LIGHT_M_S = 299_792_458.0
# CAT tunes whole hertz; Skyfield's and our SGP4 range rates agree to well under 1 m/s.
TUNING_TOLERANCE_HZ = 3.0
OFFSET_HZ = 2500.0
RIGCTLD_ATTEMPTS = 3
DIAL_TURN_HZ = 10_000
DIAL_DRIFT_HZ = 100.0
TRANSPONDER = [  # an RS-44-like linear transponder (inverting) and a non-inverting one
    "--transponder-downlink",
    "435610000:435670000",
    "--transponder-uplink",
    "145935000:145995000",
]


def station_arg(location) -> str:
    return f"{location.name}={location.latitude_deg!r},{location.longitude_deg!r},{location.altitude_m!r}"


def exit_code(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


def track(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "groundstation", "track", "--elements", str(ELEMENTS_FILE), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


class RigctldConsole:
    """The test's own connection to rigctld, in its plain protocol (get: one line back; set: RPRT).

    Opened once and kept: Hamlib 4.5's daemons close a finished client's descriptor twice, which can
    reset a connection opened just then (see `hamlib_daemons`); if it happens, reconnect and ask again.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self._sock: socket.socket | None = None

    def ask(self, command: str) -> str:
        for attempt in range(RIGCTLD_ATTEMPTS):
            try:
                if self._sock is None:
                    self._sock = socket.create_connection(("127.0.0.1", self.port), timeout=5.0)
                self._sock.sendall(f"{command}\n".encode())
                reply = b""
                while not reply.endswith(b"\n"):
                    chunk = self._sock.recv(256)
                    if not chunk:
                        raise ConnectionResetError("rigctld closed the connection")
                    reply += chunk
                return reply.decode().splitlines()[0].strip()
            except OSError:
                self.close()
                if attempt == RIGCTLD_ATTEMPTS - 1:
                    raise
                time.sleep(0.1)
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def skyfield_range_rate_m_s(location, moment: datetime) -> float:
    elements = iss()
    line1, line2 = _tle(elements)
    satellite = EarthSatellite(line1, line2, elements.name, load.timescale())
    topos = wgs84.latlon(location.latitude_deg, location.longitude_deg, elevation_m=location.altitude_m)
    when = load.timescale().from_datetime(moment)
    *_, range_rate = (satellite - topos).at(when).frame_latlon_and_rates(topos)
    return float(range_rate.m_per_s)


def _tle(elements) -> tuple[str, str]:
    lines = [line for line in ELEMENTS_FILE.read_text().splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if line.startswith("1 ") and line[2:7].strip() == str(elements.norad_id):
            return line, lines[i + 1]
    raise AssertionError("ISS not in the elements file")


def last_tune(stdout: str, direction: str, day: datetime) -> tuple[datetime, int]:
    """(time, Hz) of the last `tune ... <- RX|TX N Hz` line."""
    found = re.findall(rf"^(\d\d):(\d\d):(\d\d) tune .*<- {direction} (\d+) Hz$", stdout, re.MULTILINE)
    assert found, stdout
    hour, minute, second, hz = found[-1]
    return day.replace(hour=int(hour), minute=int(minute), second=int(second), microsecond=0), int(hz)


# -- bad values ----------------------------------------------------------------------------------

BASE = ["--satellite", "25544", "--station", "A=1,2"]
BAD = [
    (["--downlink-hz", "1e8", "--downlink-offset-hz", "nan"], "--downlink-offset-hz: nan must be a finite"),
    (["--uplink-offset-hz", "100"], "--uplink-offset-hz: needs --uplink-hz"),
    (["--transponder", "inverting"], "--transponder: needs --transponder-downlink"),
    (["--transponder", "sideways"], "argument --transponder: invalid choice"),
    (["--transponder-downlink", "1:2"], "--transponder-downlink: needs --transponder"),
    (
        ["--transponder", "inverting", "--transponder-downlink", "4e8", *TRANSPONDER[2:]],
        "expected LOW_HZ:HIGH_HZ",
    ),
    (
        ["--transponder", "inverting", "--transponder-downlink", "4e8:3e8", *TRANSPONDER[2:]],
        "--transponder-downlink: need 0 < LOW_HZ < HIGH_HZ",
    ),
    (
        ["--transponder", "inverting", *TRANSPONDER, "--downlink-hz", "437.8e6"],
        "--downlink-hz: downlink 437800000 Hz is outside the transponder's passband",
    ),
    (["--downlink-hz", "1e8", "--mode", "SSTV"], "--mode: 'SSTV' is not a Hamlib mode"),
    (["--doppler-interval-s", "0"], "--doppler-interval-s: 0.0 must be a number > 0"),
    (["--doppler-threshold-hz", "-1"], "--doppler-threshold-hz: -1.0 must be a number >= 0"),
    (["--tolerance-deg", "inf"], "--tolerance-deg: inf must be a number > 0"),
    (["--rotator-interval-s", "0"], "--rotator-interval-s: 0.0 must be"),
    (["--max-lead-s", "-2"], "--max-lead-s: -2.0 must be"),
    (["--preposition-s", "-1"], "--preposition-s: -1.0 must be a number >= 0"),
    (["--slew-deg-s", "0"], "--slew-deg-s: 0.0 must be a number > 0"),
    (["--azimuth-slew-deg-s", "x"], "argument --azimuth-slew-deg-s: invalid float value"),
    (["--azimuth-range", "0:200"], "--azimuth-range: azimuth_min_deg..azimuth_max_deg must span 360..720"),
    (["--azimuth-range", "0-450"], "--azimuth-range: expected MIN:MAX"),
    (["--elevation-range", "10:5"], "--elevation-range: need 0 <= elevation_min_deg < elevation_max_deg"),
    (["--park", "400,0"], "--park: park position 400/0 is outside"),
    (["--park", "90"], "--park: expected AZ,EL"),
    (["--speed", "2"], "--speed: needs --start"),
    (["--start", "2025-04-24T13:00", "--speed", "-1"], "--speed: -1.0 must be >= 0"),
    (["--start", "yesterday"], "--start: not an ISO 8601 time"),
]


@pytest.mark.parametrize(("args", "message"), BAD)
def test_bad_values_are_one_line_naming_the_option_exit_2(capsys, args, message):
    assert exit_code(["track", "--elements", str(ELEMENTS_FILE), *BASE, *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_a_named_station_needs_a_settings_file(capsys, tmp_path):
    missing = tmp_path / "settings.toml"
    argv = ["track", "--elements", str(ELEMENTS_FILE), "--satellite", "25544", "--station", "Home"]
    assert exit_code([*argv, "--settings", str(missing)]) == 2
    assert f"--settings: {missing}" in capsys.readouterr().err
    missing.write_text('[[stations]]\nname = "Away"\nlatitude_deg = 1\nlongitude_deg = 2\n')
    assert exit_code([*argv, "--settings", str(missing)]) == 2
    assert "--station: no station named 'Home'" in capsys.readouterr().err


# -- --plan ---------------------------------------------------------------------------------------


def plan_of(location, found, *extra: str) -> list[str]:
    start = (found.aos - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S")
    done = track(
        "--satellite", "25544", "--station", station_arg(location), "--start", start, "--plan", *extra
    )
    return done.stdout.splitlines()


def test_plan_of_a_zenith_pass_flips_on_a_rotator_that_can_and_flags_one_that_cannot():
    location, found, _ = zenith_pass()
    # A rotctld nobody listens on: --plan must not contact it.
    nobody = f"rotctld://127.0.0.1:{free_tcp_port()}"
    flip = plan_of(location, found, "--rotator", nobody, "--elevation-range", "0:180")
    assert any(line.startswith(f"rotator {nobody}: azimuth 0..360°, elevation 0..180°") for line in flip), (
        flip
    )
    assert any(line.startswith("  flip: yes") for line in flip), flip
    assert any(line.startswith("  follow: ok") for line in flip), flip
    assert any(line.startswith("  preposition: az ") and " from " in line for line in flip), flip
    assert any(line.startswith("  park: az 0.0° el 90.0° after LOS") for line in flip), flip
    assert flip[-1] == "planned 1 pass, 0 the rotator cannot follow"

    plain = plan_of(location, found, "--rotator", nobody)
    assert "  flip: no (the rotator cannot flip: elevation ≤ 90°)" in plain, plain
    assert any(line.startswith("  follow: CANNOT FOLLOW: the pass needs") for line in plain), plain
    assert plain[-1] == "planned 1 pass, 1 the rotator cannot follow"


def test_plan_crosses_north_through_the_overlap_and_parks_where_told():
    location, found, _ = north_crossing_pass()  # 281° -> 76° across north
    lines = plan_of(location, found, "--azimuth-range=-180:540", "--park", "180,0", "--slew-deg-s", "3")
    assert any("slew 3/3°/s, park 180/0°" in line for line in lines), lines
    path = next(line for line in lines if line.startswith("  path: "))
    assert "crosses north without unwinding" in path, lines
    assert "  flip: no (the rotator cannot flip: elevation ≤ 90°)" in lines
    assert any(line.startswith("  park: az 180.0° el 0.0°") for line in lines), lines


# -- Doppler against rigctld -----------------------------------------------------------------------


@pytest.fixture
def rigctld():
    daemon = HamlibDaemon("rigctld", "-m", "1").start()
    yield daemon
    daemon.kill()


@pytest.fixture
def rig(rigctld):
    console = RigctldConsole(rigctld.port)
    console.ask("f")  # connected before any tracker
    yield console
    console.close()


def doppler_run(rigctld, location, start: datetime, *args: str) -> str:
    return track(
        "--satellite",
        "25544",
        "--station",
        station_arg(location),
        "--rig",
        rigctld.uri,
        "--start",
        start.strftime("%Y-%m-%dT%H:%M:%S"),
        "--speed",
        "0",
        "--duration",
        "20",
        "--doppler-threshold-hz",
        "0",
        *args,
    ).stdout


def test_calibration_offsets_show_in_what_rigctld_holds(rigctld, rig):
    location, found, _ = zenith_pass()
    start = found.aos.replace(microsecond=0) + timedelta(minutes=2)
    out = doppler_run(
        rigctld,
        location,
        start,
        "--downlink-hz",
        "437800000",
        "--uplink-hz",
        "145990000",
        "--downlink-offset-hz",
        f"{OFFSET_HZ:g}",
        "--uplink-offset-hz",
        f"{-OFFSET_HZ:g}",
        "--mode",
        "fm",
    )
    assert "radio plan: downlink 437800000 Hz (offset +2500 Hz), uplink 145990000 Hz (offset -2500 Hz)" in out
    when, rx_hz = last_tune(out, "RX", start)
    _, tx_hz = last_tune(out, "TX", start)
    assert int(rig.ask("f")) == rx_hz
    assert int(rig.ask("i")) == tx_hz
    assert rig.ask("m") == "FM"
    # The loop aims at the middle of the coming 1 s Doppler interval.
    beta = skyfield_range_rate_m_s(location, when + timedelta(seconds=0.5)) / SPEED_OF_LIGHT_M_S
    assert abs(rx_hz - (437_800_000 + OFFSET_HZ) * (1 - beta)) <= TUNING_TOLERANCE_HZ
    assert abs(tx_hz - (145_990_000 - OFFSET_HZ) / (1 - beta)) <= TUNING_TOLERANCE_HZ


@pytest.mark.parametrize("kind", ["inverting", "non-inverting"])
def test_transponder_uplink_follows_the_passband_position(rigctld, rig, kind):
    location, found, _ = zenith_pass()
    start = found.aos.replace(microsecond=0) + timedelta(minutes=3)
    held = []
    for downlink_hz in (435_620_000, 435_640_000):
        out = doppler_run(
            rigctld, location, start, "--transponder", kind, *TRANSPONDER, "--downlink-hz", str(downlink_hz)
        )
        assert f"{kind} transponder 145935000..145995000 Hz up" in out
        held.append((int(rig.ask("f")), int(rig.ask("i"))))
    (rx1, tx1), (rx2, tx2) = held
    moved_hz = 20_000
    assert abs((rx2 - rx1) - moved_hz) <= TUNING_TOLERANCE_HZ
    expected_tx_move = -moved_hz if kind == "inverting" else moved_hz
    assert abs((tx2 - tx1) - expected_tx_move) <= TUNING_TOLERANCE_HZ


# -- the settings file ---------------------------------------------------------------------------


def test_settings_give_station_rotator_limits_and_satellite_radio(tmp_path, rigctld, rig):
    location, found, _ = zenith_pass()
    nobody = free_tcp_port()
    settings = tmp_path / "settings.toml"
    settings.write_text(
        f"""\
[[stations]]
name = "Apex"
latitude_deg = {location.latitude_deg!r}
longitude_deg = {location.longitude_deg!r}
altitude_m = {location.altitude_m!r}
rotator = "az-el"
radio = "ic9700"

[[rotators]]
name = "az-el"
driver = "rotctld"
address = "127.0.0.1:{nobody}"
elevation_min_deg = 0
elevation_max_deg = 180
azimuth_slew_deg_s = 4
park_azimuth_deg = 180
park_elevation_deg = 10

[[radios]]
name = "ic9700"
driver = "hamlib"
device = "127.0.0.1:{rigctld.port}"

[[satellites]]
norad_id = 25544
downlink_hz = 437800000
downlink_offset_hz = {OFFSET_HZ}
mode = "USB"
"""
    )
    start = found.aos - timedelta(minutes=5)
    lines = track(
        "--settings",
        str(settings),
        "--station",
        "Apex",
        "--satellite",
        "25544",
        "--plan",
        "--start",
        start.strftime("%Y-%m-%dT%H:%M:%S"),
    ).stdout.splitlines()
    assert (
        f"rotator rotctld://127.0.0.1:{nobody}: azimuth 0..360°, elevation 0..180°, slew 4/6°/s, park 180/10°"
        in lines
    )
    assert any(line.startswith("  flip: yes") for line in lines), lines
    assert "radio plan: downlink 437800000 Hz (offset +2500 Hz), uplink - (at the satellite)" in lines

    # Tracking (no rotator: --rotator overrides to the simulated one) tunes the station's rig.
    run_start = found.aos.replace(microsecond=0) + timedelta(minutes=2)
    args = ["--settings", str(settings), "--station", "Apex", "--satellite", "25544", "--rotator", "sim:"]
    timing = ["--start", run_start.strftime("%Y-%m-%dT%H:%M:%S"), "--speed", "0", "--duration", "5"]
    out = track(*args, *timing, "--doppler-threshold-hz", "0").stdout
    with_offset = int(rig.ask("f"))
    assert with_offset == last_tune(out, "RX", run_start)[1]
    assert rig.ask("m") == "USB"
    # The option overrides the file's offset.
    track(*args, *timing, "--doppler-threshold-hz", "0", "--downlink-offset-hz", "0")
    without = int(rig.ask("f"))
    assert abs((with_offset - without) - OFFSET_HZ) <= TUNING_TOLERANCE_HZ


@pytest.mark.parametrize(("kind", "sign"), [("inverting", -1), ("non-inverting", 1)])
def test_turning_the_dial_moves_the_uplink_with_the_transponder(rigctld, rig, kind, sign):
    location, found, _ = zenith_pass()
    start = found.aos.replace(microsecond=0) + timedelta(minutes=1)
    command = [sys.executable, "-m", "groundstation", "track", "--elements", str(ELEMENTS_FILE)]
    command += ["--satellite", "25544", "--station", station_arg(location), "--rig", rigctld.uri]
    command += ["--start", start.strftime("%Y-%m-%dT%H:%M:%S"), "--duration", "30", "--follow-dial"]
    command += [
        "--transponder",
        kind,
        *TRANSPONDER,
        "--downlink-hz",
        "435620000",
        "--doppler-threshold-hz",
        "0",
    ]
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    seen: list[str] = []
    try:
        for line in proc.stdout:
            seen.append(line.rstrip("\n"))
            if " <- TX " in line and len([s for s in seen if " <- TX " in s]) == 2:
                # The operator turns the dial 10 kHz up, as on the radio's knob.
                dial_hz = int(rig.ask("f")) + DIAL_TURN_HZ
                assert rig.ask(f"F {dial_hz}") == "RPRT 0"
            dialled = any(" dial " in s for s in seen)
            if dialled and " <- TX " in line:  # the uplink tuned after the dial moved
                break
        proc.terminate()
        proc.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert any(" dial " in line and "passband position follows" in line for line in seen), seen
    tx_lines = [int(line.rsplit(" ", 2)[-2]) for line in seen if " <- TX " in line]
    assert len(tx_lines) >= 2, seen
    # Uplink Doppler drifts well under DIAL_DRIFT_HZ in the second between the two tunes.
    assert abs((tx_lines[-1] - tx_lines[-2]) - sign * DIAL_TURN_HZ) <= DIAL_DRIFT_HZ, seen
