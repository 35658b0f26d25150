"""GS-232A/B and EasyComm II drivers against Hamlib's own backends and a pty controller emulator."""

from __future__ import annotations

import subprocess

import pytest

from radios.errors import DeviceError, DeviceTimeoutError, DeviceUnavailableError, LimitError
from radios.link import Backoff
from radios.registry import open_rotator
from radios.rotator import Pointing, RotatorLimits
from radios.serial_rotators import SerialRotator
from tests.conftest import require_tool
from tests.radios.rotator_emulator import ControllerEmulator

HAMLIB_MODEL = {"gs232a": "601", "gs232b": "603", "easycomm": "202"}
ROTCTL_TIMEOUT_S = 20
SHORT_TIMEOUT_S = 0.3
# Hamlib prints positions with two decimals.
HAMLIB_PRINT_TOLERANCE_DEG = 0.005

GS232_LIMITS = RotatorLimits(-180.0, 450.0, 0.0, 90.0, park_azimuth_deg=0.0, park_elevation_deg=0.0)
EASYCOMM_LIMITS = RotatorLimits(0.0, 360.0, 0.0, 180.0, park_azimuth_deg=180.0, park_elevation_deg=90.0)
GS232_MOVES = [(120.0, 30.0), (-10.0, 30.0), (400.4, 89.6), (12.5, 0.0), (5.5, 44.5), (0.0, 0.0)]
EASYCOMM_MOVES = [(120.0, 30.0), (10.25, 30.55), (359.96, 0.04), (0.0, 179.5)]


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


@pytest.fixture
def emulators():
    made: list[ControllerEmulator] = []

    def make(dialect: str, **kwargs: float) -> ControllerEmulator:
        emulator = ControllerEmulator(dialect, **kwargs)
        made.append(emulator)
        return emulator

    yield make
    for emulator in made:
        emulator.close()


def hamlib_session(dialect: str, port: str, moves: list[tuple[float, float]]) -> list[str]:
    """Run Hamlib's rotctl for the given moves, then stop and read; returns its stdout lines."""
    rotctl = require_tool("rotctl")
    args = [rotctl, "-m", HAMLIB_MODEL[dialect], "-r", port]
    for azimuth_deg, elevation_deg in moves:
        args += ["P", f"{azimuth_deg}", f"{elevation_deg}"]
    args += ["S", "p"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=ROTCTL_TIMEOUT_S, check=True)
    return proc.stdout.split()


def our_session(dialect: str, port: str, limits: RotatorLimits, moves: list[tuple[float, float]]) -> Pointing:
    rotator = open_rotator(f"{dialect}:{port}", limits, timeout_s=2.0)
    try:
        for azimuth_deg, elevation_deg in moves:
            rotator.move_to(azimuth_deg, elevation_deg)
        rotator.stop()
        return rotator.position()
    finally:
        rotator.close()


@pytest.mark.parametrize(
    ("dialect", "limits", "moves"),
    [
        ("gs232a", GS232_LIMITS, GS232_MOVES),
        ("gs232b", GS232_LIMITS, GS232_MOVES),
        ("easycomm", EASYCOMM_LIMITS, EASYCOMM_MOVES),
    ],
)
def test_sends_the_bytes_hamlib_sends_and_reads_what_hamlib_reads(emulators, dialect, limits, moves):
    theirs = emulators(dialect)
    hamlib_out = hamlib_session(dialect, theirs.port, moves)
    ours = emulators(dialect)
    position = our_session(dialect, ours.port, limits, moves)

    assert ours.received_bytes() == theirs.received_bytes()
    assert len(ours.commands) == len(moves) + 2  # moves, stop, read
    # Hamlib prints the position it parsed from the same controller reply as its last two words.
    hamlib_az, hamlib_el = float(hamlib_out[-2]), float(hamlib_out[-1])
    expected_az = hamlib_az if hamlib_az <= limits.azimuth_max_deg else hamlib_az - 360.0
    assert position.azimuth_deg == pytest.approx(expected_az, abs=HAMLIB_PRINT_TOLERANCE_DEG)
    assert position.elevation_deg == pytest.approx(hamlib_el, abs=HAMLIB_PRINT_TOLERANCE_DEG)


def test_gs232b_exact_bytes_for_a_move_in_the_overlap():
    # Pinned from `rotctl -m 603 P 400.4 89.6` (Hamlib 4.5.4), so the format cannot drift unseen.
    from radios.serial_rotators import DIALECTS

    assert DIALECTS["gs232b"].move(400.4, 89.6) == b"W400 090\r\r"
    assert DIALECTS["gs232a"].move(-10.0, 30.0) == b"W350 030\r"
    assert DIALECTS["easycomm"].move(10.25, 30.55) == b"AZ10.2 EL30.5\n"


@pytest.mark.parametrize(
    ("dialect", "azimuth_deg", "elevation_deg"),
    [("gs232a", 273.0, 12.0), ("gs232b", 45.0, 90.0), ("gs232b", 405.0, 7.0), ("easycomm", 181.5, 62.3)],
)
def test_parses_controller_replies(emulators, dialect, azimuth_deg, elevation_deg):
    limits = EASYCOMM_LIMITS if dialect == "easycomm" else RotatorLimits(0.0, 450.0, 0.0, 90.0)
    emulator = emulators(dialect, azimuth_deg=azimuth_deg, elevation_deg=elevation_deg)
    rotator = open_rotator(f"{dialect}:{emulator.port}@9600", limits)
    try:
        assert rotator.position() == Pointing(azimuth_deg, elevation_deg)
    finally:
        rotator.close()


def test_negative_logical_azimuth_reads_back_negative(emulators):
    emulator = emulators("gs232b")
    limits = RotatorLimits(-180.0, 180.0, 0.0, 90.0)
    rotator = open_rotator(f"gs232:{emulator.port}", limits)
    try:
        rotator.move_to(-90.0, 10.0)
        assert emulator.wait_received(len(b"W270 010\r\r")) == b"W270 010\r\r"
        assert rotator.position() == Pointing(-90.0, 10.0)
    finally:
        rotator.close()


def test_park_goes_to_the_configured_position(emulators):
    emulator = emulators("easycomm", azimuth_deg=10.0, elevation_deg=10.0)
    rotator = open_rotator(f"easycomm:{emulator.port}", EASYCOMM_LIMITS)
    try:
        rotator.park()
        assert rotator.position() == EASYCOMM_LIMITS.park
    finally:
        rotator.close()


def test_target_outside_limits_sends_nothing(emulators):
    emulator = emulators("gs232b")
    rotator = open_rotator(f"gs232b:{emulator.port}", RotatorLimits(0.0, 450.0, 0.0, 90.0))
    try:
        with pytest.raises(LimitError, match="outside the limits"):
            rotator.move_to(451.0, 10.0)
        with pytest.raises(LimitError, match="outside the limits"):
            rotator.move_to(10.0, 91.0)
        assert emulator.received_bytes() == b""
    finally:
        rotator.close()


def test_invalid_command_reply_is_a_clear_error(emulators):
    emulator = emulators("gs232a")
    emulator.refused.add("C2")  # e.g. a GS-232 clone without the combined position query
    rotator = open_rotator(f"gs232a:{emulator.port}", GS232_LIMITS)
    try:
        with pytest.raises(DeviceError, match=r"GS-232A controller answered '\?>'"):
            rotator.position()
    finally:
        rotator.close()


def test_silent_controller_times_out_then_recovers(emulators):
    clock = FakeClock()
    emulator = emulators("gs232b", azimuth_deg=90.0, elevation_deg=45.0)
    emulator.silent = True
    rotator = open_rotator(
        f"gs232:{emulator.port}", GS232_LIMITS, timeout_s=SHORT_TIMEOUT_S, backoff=Backoff(monotonic=clock)
    )
    try:
        with pytest.raises(DeviceTimeoutError, match=r"no reply to 'C2' within 0.3 s"):
            rotator.position()
        with pytest.raises(DeviceUnavailableError, match="next reconnect attempt"):
            rotator.position()  # inside the back-off: fails at once, no I/O
        emulator.silent = False
        clock.now_s += 60.0
        assert rotator.position() == Pointing(90.0, 45.0)
    finally:
        rotator.close()


def test_unplugged_adapter_reports_and_reconnects_after_replug(emulators, tmp_path):
    clock = FakeClock()
    first = emulators("easycomm", azimuth_deg=30.0, elevation_deg=20.0)
    stable_name = first.link_at(tmp_path / "ttyROT")
    rotator = SerialRotator(
        "easycomm",
        str(stable_name),
        EASYCOMM_LIMITS,
        timeout_s=SHORT_TIMEOUT_S,
        backoff=Backoff(monotonic=clock),
    )
    try:
        assert rotator.position() == Pointing(30.0, 20.0)
        first.unplug()
        with pytest.raises(DeviceUnavailableError, match=r"easycomm:.*ttyROT"):
            rotator.position()
        clock.now_s += 60.0
        with pytest.raises(DeviceUnavailableError, match=r"cannot connect|connection lost"):
            rotator.move_to(10.0, 10.0)  # still unplugged: reconnect attempt fails cleanly
        second = emulators("easycomm", azimuth_deg=200.0, elevation_deg=5.0)
        second.link_at(stable_name)
        clock.now_s += 60.0
        assert rotator.position() == Pointing(200.0, 5.0)
        assert rotator.link.reconnects == 1
    finally:
        rotator.close()
