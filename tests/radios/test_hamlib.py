"""Rotator and rig drivers against Hamlib's own daemons (`rotctld -m 1`, `rigctld -m 1`)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from radios.errors import DeviceRejectedError, DeviceTimeoutError, DeviceUnavailableError, LimitError
from radios.hamlib import RPRT_MESSAGES, RotctldRotator, parse_extended_reply
from radios.link import Backoff
from radios.registry import open_rig, open_rotator
from radios.rig import RigMode
from radios.rotator import Pointing, RotatorLimits
from tests.radios.hamlib_daemons import HamlibDaemon

# The dummy rotator's limits (`\dump_caps`: -180..450, 0..90) and its 6°/s slew.
DUMMY_LIMITS = RotatorLimits(-180.0, 450.0, 0.0, 90.0, 6.0, 6.0, park_azimuth_deg=1.5, park_elevation_deg=1.5)
# Wider than the dummy's azimuth range, so the daemon itself must refuse.
WIDE_LIMITS = RotatorLimits(-180.0, 540.0, 0.0, 90.0)
POSITION_TOLERANCE_DEG = 0.01  # rotctld prints two decimals
SLEW_WAIT_S = 5.0
SHORT_TIMEOUT_S = 0.3


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


def wait_until_at(rotator, target: Pointing) -> Pointing:
    deadline = time.monotonic() + SLEW_WAIT_S
    while True:
        here = rotator.position()
        close = (
            abs(here.azimuth_deg - target.azimuth_deg) <= POSITION_TOLERANCE_DEG
            and abs(here.elevation_deg - target.elevation_deg) <= POSITION_TOLERANCE_DEG
        )
        if close or time.monotonic() > deadline:
            return here
        time.sleep(0.05)


@pytest.fixture
def rotctld():
    daemon = HamlibDaemon("rotctld", "-m", "1").start()
    yield daemon
    daemon.kill()


@pytest.fixture
def rigctld():
    daemon = HamlibDaemon("rigctld", "-m", "1", "-P", "RIG").start()
    yield daemon
    daemon.kill()


def test_parse_extended_reply_fields_and_code():
    reply = parse_extended_reply("p", b"get_pos:\nAzimuth: 3.07\nElevation: -1.50\nRPRT 0\n")
    assert reply.get("Azimuth") == "3.07"
    assert reply.get("Elevation") == "-1.50"
    assert reply.code == 0
    assert parse_extended_reply("P 999 0", b"set_pos: 999 0\nRPRT -1\n").fields == ()


def test_rotator_moves_reads_back_and_parks(rotctld):
    rotator = open_rotator(rotctld.uri, DUMMY_LIMITS)
    try:
        assert rotator.position() == Pointing(0.0, 0.0)
        target = Pointing(-3.0, 2.4)  # a negative (overlap) azimuth: sent as is
        rotator.move_to(target.azimuth_deg, target.elevation_deg)
        assert wait_until_at(rotator, target) == target
        rotator.park()
        assert wait_until_at(rotator, DUMMY_LIMITS.park) == DUMMY_LIMITS.park
    finally:
        rotator.close()


def test_rotator_stop_holds_position(rotctld):
    rotator = open_rotator(rotctld.uri, DUMMY_LIMITS)
    try:
        rotator.move_to(90.0, 60.0)  # 15 s away at 6°/s
        time.sleep(0.3)
        rotator.stop()
        stopped = rotator.position()
        time.sleep(0.3)
        assert rotator.position() == stopped
        assert 0.0 < stopped.azimuth_deg < 90.0
    finally:
        rotator.close()


def test_limits_checked_before_sending(rotctld):
    rotator = open_rotator(rotctld.uri, DUMMY_LIMITS)
    assert isinstance(rotator, RotctldRotator)
    try:
        with pytest.raises(LimitError, match=r"az 451° el 10° is outside the limits az -180..450°"):
            rotator.move_to(451.0, 10.0)
        assert rotator.client.link.commands_sent == 0
    finally:
        rotator.close()


def test_daemon_refusal_maps_rprt_code_to_message(rotctld):
    rotator = open_rotator(rotctld.uri, WIDE_LIMITS)
    try:
        with pytest.raises(DeviceRejectedError, match=r"'P 500.00 10.00' failed: RPRT -1 RIG_EINVAL") as exc:
            rotator.move_to(500.0, 10.0)
        assert exc.value.code == -1
    finally:
        rotator.close()


def test_every_hamlib_error_code_has_a_message():
    assert sorted(RPRT_MESSAGES) == list(range(-20, 1))


def test_killed_daemon_reports_then_reconnects_when_back(rotctld):
    clock = FakeClock()
    rotator = open_rotator(rotctld.uri, DUMMY_LIMITS, backoff=Backoff(initial_s=1.0, monotonic=clock))
    assert isinstance(rotator, RotctldRotator)
    try:
        rotator.move_to(1.2, 0.6)
        assert wait_until_at(rotator, Pointing(1.2, 0.6)) == Pointing(1.2, 0.6)
        rotctld.kill()
        lost = r"rotctld://127.0.0.1:\d+: .*next reconnect attempt in 1.0 s"
        with pytest.raises(DeviceUnavailableError, match=lost):
            rotator.position()
        with pytest.raises(DeviceUnavailableError, match="not connected"):
            rotator.position()  # within the back-off: no connection attempt
        clock.now_s += 1.0
        with pytest.raises(DeviceUnavailableError, match=r"cannot connect .*attempt in 2.0 s"):
            rotator.position()  # still down: the back-off doubles
        rotctld.start()
        clock.now_s += 2.0
        assert rotator.position() == Pointing(0.0, 0.0)  # a fresh dummy starts at 0/0
        assert rotator.client.link.reconnects == 1
        rotator.move_to(0.6, 0.6)
        assert wait_until_at(rotator, Pointing(0.6, 0.6)) == Pointing(0.6, 0.6)
    finally:
        rotator.close()


def test_restarted_daemon_between_commands_is_transparent(rotctld):
    rotator = open_rotator(rotctld.uri, DUMMY_LIMITS)
    assert isinstance(rotator, RotctldRotator)
    try:
        rotator.position()
        rotctld.kill()
        rotctld.start()
        # The old socket is stale; the driver reconnects once at once and the command goes through.
        assert rotator.position() == Pointing(0.0, 0.0)
        assert rotator.client.link.reconnects == 1
    finally:
        rotator.close()


def test_silent_peer_times_out_instead_of_hanging():
    # A peer that accepts the connection and never answers (a wedged daemon or wrong service).
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(server.accept()[0]), daemon=True)
    thread.start()
    rotator = open_rotator(f"rotctld://127.0.0.1:{port}", DUMMY_LIMITS, timeout_s=SHORT_TIMEOUT_S)
    try:
        with pytest.raises(DeviceTimeoutError, match=r"no reply to '\+p' within 0.3 s"):
            rotator.position()
    finally:
        rotator.close()
        thread.join(timeout=1)
        for conn in accepted:
            conn.close()
        server.close()


def test_rig_frequency_mode_split_and_ptt(rigctld):
    rig = open_rig(rigctld.uri)
    try:
        rig.set_frequency(435_100_000.4)
        assert rig.frequency() == 435_100_000.0
        rig.set_mode("FM", 15_000)
        assert rig.mode() == RigMode("FM", 15_000)
        rig.set_split(True)
        rig.set_tx_frequency(145_900_000)
        assert rig.split() is True
        assert rig.tx_frequency() == 145_900_000.0
        rig.set_ptt(True)
        assert rig.ptt() is True
        rig.set_ptt(False)
        assert rig.ptt() is False
    finally:
        rig.close()


def test_rig_refuses_bad_values_before_sending(rigctld):
    rig = open_rig(rigctld.uri)
    try:
        with pytest.raises(LimitError, match="unknown Hamlib mode 'BOGUS'"):
            rig.set_mode("BOGUS")
        with pytest.raises(LimitError, match="not a valid radio frequency"):
            rig.set_frequency(-5.0)  # the dummy rig would accept it
        with pytest.raises(LimitError, match="not a valid radio frequency"):
            rig.set_tx_frequency(float("nan"))
    finally:
        rig.close()


def test_rig_without_ptt_reports_hamlib_error():
    daemon = HamlibDaemon("rigctld", "-m", "1").start()  # no -P: PTT not available
    rig = open_rig(daemon.uri)
    try:
        refused = r"'t' failed: RPRT -11 RIG_ENAVAIL: function not available"
        with pytest.raises(DeviceRejectedError, match=refused):
            rig.ptt()
        assert rig.frequency() > 0  # the link survives a refused command
    finally:
        rig.close()
        daemon.kill()


def test_command_never_answered_by_rigctld_times_out_and_link_recovers(rigctld):
    clock = FakeClock()
    rig = open_rig(rigctld.uri, timeout_s=SHORT_TIMEOUT_S, backoff=Backoff(monotonic=clock))
    try:
        rig.set_frequency(145_800_000)
        # `\chk_vfo` never sends RPRT in the extended protocol (a real daemon's silent reply).
        with pytest.raises(DeviceTimeoutError, match=r"no reply to '\+\\\\chk_vfo'"):
            rig.client.command("\\chk_vfo")  # type: ignore[attr-defined]
        clock.now_s += 60.0
        assert rig.frequency() == 145_800_000.0
    finally:
        rig.close()
