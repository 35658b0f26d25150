"""AX.25 frames checked against the CRC catalogue and against direwolf's own encoder and display."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from radios.ax25 import Address, Frame, FrameError, append_fcs, check_fcs, fcs
from tests.radios.direwolf import atest, gen_packets

# Direwolf sets the C bit on both addresses; AX.25 2.x command frames have it on the destination only.
C_BITS = {6: 0x80, 13: 0x80}

LINES = [
    "N0CALL-1>CQ:hello",
    "WB2OSZ-15>TEST,WIDE1-1,WIDE2-2*:<0xff><0xff><0x00>binary<0x7e>",
    "A>B:x",
    "K1ABC-9>APRS,RELAY,WIDE1-1*,WIDE2-1:!4237.14N/07120.83W#PHG7140",
]


def without_c_bits(data: bytes) -> bytes:
    return bytes(b & ~C_BITS.get(i, 0) for i, b in enumerate(data))


def test_fcs_matches_the_crc16_x25_check_value():
    assert fcs(b"123456789") == 0x906E
    framed = append_fcs(b"123456789")
    assert framed[-2:] == b"\x6e\x90"  # low byte first
    assert check_fcs(framed)
    assert not check_fcs(framed[:-1] + b"\x91")


def test_encoding_matches_direwolf_byte_for_byte(tmp_path):
    # gen_packets keeps the line's newline in the info field, hence the trailing <0x0a>.
    result = atest(gen_packets(tmp_path / "dw.wav", lines=LINES))
    assert result.count == len(LINES)
    assert len(result.frames_hex) == len(LINES)
    for line, theirs in zip(LINES, result.frames_hex, strict=True):
        ours = Frame.from_monitor(line + "<0x0a>").encode()
        assert without_c_bits(ours) == without_c_bits(theirs), line


def test_decoding_direwolf_bytes_gives_direwolf_monitor_lines(tmp_path):
    result = atest(gen_packets(tmp_path / "dw.wav", lines=LINES))
    for theirs, shown in zip(result.frames_hex, result.monitor_lines, strict=True):
        assert Frame.decode(theirs).to_monitor() == shown


def test_star_marks_every_digipeater_up_to_the_last_repeated():
    frame = Frame.from_monitor("A>B,D1,D2*,D3:x")
    assert [d.repeated for d in frame.path] == [True, True, False]
    assert frame.to_monitor() == "A>B,D1,D2*,D3:x"
    assert Frame.decode(frame.encode()) == frame


def test_lower_case_callsigns_are_upper_cased():
    assert str(Address.parse("n0call-7")) == "N0CALL-7"


calls = st.from_regex(r"[A-Z0-9]{1,6}", fullmatch=True)
addresses = st.builds(Address, calls, st.integers(0, 15))


@given(
    src=addresses, dst=addresses, path=st.lists(addresses, max_size=8), info=st.binary(max_size=300),
    repeated=st.integers(-1, 7),
)
def test_monitor_text_and_bytes_round_trip(src, dst, path, info, repeated):
    path = tuple(Address(a.callsign, a.ssid, i <= repeated) for i, a in enumerate(path))
    frame = Frame(dst, src, path, info)
    assert Frame.from_monitor(frame.to_monitor()) == frame
    assert Frame.decode(frame.encode_with_fcs(), has_fcs=True) == frame


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("N0CALL-1 CQ:hi", "no '>'"),
        ("N0CALL-1>CQ hi", "no ':'"),
        ("TOOLONGCALL>CQ:hi", "TOOLONGCALL"),
        ("N0CALL-16>CQ:hi", "SSID 16"),
        ("A>B,C,D,E,F,G,H,I,J,K:hi", "digipeaters"),
    ],
)
def test_bad_monitor_lines_say_what_is_wrong(line, message):
    with pytest.raises(FrameError, match=message):
        Frame.from_monitor(line)


def test_bad_frame_bytes_are_refused():
    good = Frame.ui("N0CALL", "CQ", b"hi").encode_with_fcs()
    with pytest.raises(FrameError, match="FCS"):
        Frame.decode(good[:-1] + bytes([good[-1] ^ 1]), has_fcs=True)
    with pytest.raises(FrameError, match="shorter"):
        Frame.decode(good[:10])
