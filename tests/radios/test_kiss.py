"""KISS framing, and KISS over TCP and a serial line against a real direwolf TNC (headless)."""

import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from radios.ax25 import Frame
from radios.g3ruh import G3ruhModulator, demodulate
from radios.kiss import (
    CMD_DATA,
    CMD_RETURN,
    CMD_TXDELAY,
    FEND,
    KissDecoder,
    KissError,
    KissFrame,
    KissLink,
    kiss_serial,
    kiss_tcp,
)
from tests.conftest import free_tcp_port
from tests.radios.direwolf import DirewolfTnc, PtyNullModem, free_port_for_direwolf

DIREWOLF_WAIT_S = 10.0


def test_escaping_follows_the_kiss_spec():
    # KISS (Chepponis & Karn 1987): FEND -> FESC TFEND, FESC -> FESC TFESC.
    frame = KissFrame(port=2, command=CMD_DATA, data=b"\xc0A\xdbB")
    assert frame.encode() == b"\xc0\x20\xdb\xdcA\xdb\xddB\xc0"
    assert KissFrame(0, CMD_TXDELAY, b"\x32").encode() == b"\xc0\x01\x32\xc0"
    assert KissFrame(0, CMD_RETURN, b"").encode() == b"\xc0\xff\xc0"
    assert KissFrame(12, CMD_DATA, b"").encode() == b"\xc0\xdb\xdc\xc0"  # type byte 0xC0 escaped


@given(st.lists(st.tuples(st.integers(0, 15), st.binary(max_size=300)), max_size=8), st.integers(1, 7))
def test_decoder_reads_any_stream_split_anywhere(frames, step):
    wire = b"garbage" + b"".join(KissFrame(p, CMD_DATA, d).encode() for p, d in frames)
    decoder = KissDecoder()
    got = [f for i in range(0, len(wire), step) for f in decoder.feed(wire[i : i + step])]
    assert [(f.port, f.data) for f in got] == [(p, d) for p, d in frames]


def test_decoder_drops_bad_escapes_and_oversize_frames_then_resynchronises():
    decoder = KissDecoder(max_frame_bytes=10)
    good = KissFrame(0, CMD_DATA, b"ok").encode()
    got = decoder.feed(b"\xc0\x00a\xdbxb\xc0" + b"\xc0\x00" + b"z" * 50 + b"\xc0" + good)
    assert [f.data for f in got] == [b"ok"]
    assert (decoder.stats.bad_escapes, decoder.stats.oversize) == (1, 1)


def test_bad_ports_and_commands_are_refused():
    with pytest.raises(KissError):
        KissFrame(16, CMD_DATA, b"")
    with pytest.raises(KissError):
        KissFrame(0, 0x10, b"")


FRAMES = [Frame.ui("N0CALL-1", "CQ", b"over kiss %d \xc0\xdb" % i) for i in range(3)]


@pytest.fixture
def pty_pair():
    pair = PtyNullModem()
    yield pair
    pair.close()


@pytest.fixture
def direwolf(tmp_path, pty_pair):
    tnc = DirewolfTnc(tmp_path, free_port_for_direwolf(), serial_device=pty_pair.paths[0])
    yield tnc
    tnc.close()


def connect_tcp(tnc: DirewolfTnc) -> KissLink:
    deadline = time.monotonic() + DIREWOLF_WAIT_S
    while True:
        try:
            return kiss_tcp("127.0.0.1", tnc.kiss_port)
        except ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def heard_by(link: KissLink, tnc: DirewolfTnc, count: int) -> list[Frame]:
    """Play our modulated frames into direwolf and collect what it reports on `link`."""
    audio = G3ruhModulator(sample_rate_hz=DirewolfTnc.RATE).modulate(FRAMES)
    tnc.feed(np.concatenate((np.zeros(4800), audio, np.zeros(DirewolfTnc.RATE // 2))))
    got = []
    deadline = time.monotonic() + DIREWOLF_WAIT_S
    while len(got) < count and time.monotonic() < deadline:
        frame = link.receive(0.5)
        if frame is not None:
            assert (frame.port, frame.command) == (0, CMD_DATA)
            got.append(Frame.decode(frame.data))
    return got


def transmitted_by(link: KissLink, tnc: DirewolfTnc, frame: Frame) -> list[Frame]:
    """Ask direwolf to send `frame` and decode its transmitted audio with our demodulator."""
    link.send(frame.encode())
    deadline = time.monotonic() + DIREWOLF_WAIT_S
    while time.monotonic() < deadline:
        tnc.feed(np.zeros(2400))  # silence keeps its receiver (and its DCD) running
        decoded = [d.frame() for d in demodulate(tnc.transmitted(), DirewolfTnc.RATE)]
        if frame in decoded:
            return decoded
        time.sleep(0.1)
    return []


def test_kiss_tcp_both_ways_with_direwolf(direwolf):
    with connect_tcp(direwolf) as link:
        assert heard_by(link, direwolf, len(FRAMES)) == FRAMES
        ours = Frame.ui("N0CALL-7", "TEST", b"sent over KISS TCP")
        assert ours in transmitted_by(link, direwolf, ours)


def test_kiss_serial_both_ways_with_direwolf(direwolf, pty_pair):
    with connect_tcp(direwolf):  # direwolf is up once its TCP port answers
        pass
    with kiss_serial(pty_pair.paths[1]) as link:
        assert heard_by(link, direwolf, len(FRAMES)) == FRAMES
        ours = Frame.ui("N0CALL-7", "TEST", b"sent over KISS serial")
        assert ours in transmitted_by(link, direwolf, ours)


def test_unreachable_tnc_is_a_clear_connection_error():
    with pytest.raises(ConnectionError, match="cannot connect"):
        kiss_tcp("127.0.0.1", free_tcp_port())
    with pytest.raises(ConnectionError, match="cannot open"):
        kiss_serial("/dev/nonexistent-tnc")


def test_fend_is_never_inside_an_encoded_frame():
    body = KissFrame(0, CMD_DATA, bytes(range(256)) * 2).encode()[1:-1]
    assert FEND not in body
