"""HDLC bit layer: stuffing, aborts, NRZI and the G3RUH scrambler."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from radios.ax25 import Frame, append_fcs
from radios.hdlc import (
    Deframer,
    Descrambler,
    Scrambler,
    bytes_to_bits,
    hdlc_encode,
    nrzi_decode,
    nrzi_encode,
    stuff,
)

SELF_SYNC_BITS = 17  # the descrambler's memory


def longest_run_of_ones(bits: np.ndarray) -> int:
    best = run = 0
    for b in bits.tolist():
        run = run + 1 if b else 0
        best = max(best, run)
    return best


def test_bits_go_least_significant_first():
    assert bytes_to_bits(b"\x01\x80").tolist() == [1, 0, 0, 0, 0, 0, 0, 0] + [0] * 7 + [1]


@given(st.binary(min_size=1, max_size=200))
def test_stuffing_never_leaves_six_ones(data):
    assert longest_run_of_ones(stuff(bytes_to_bits(data))) <= 5


@settings(max_examples=50)
@given(st.binary(max_size=300), st.integers(0, 1))
def test_frames_survive_the_whole_bit_chain(info, level):
    # 0xFF-rich info makes stuffed runs of five that a naive abort check would reject.
    frame = append_fcs(Frame.ui("N0CALL-15", "CQ", info + b"\xff" * 8).encode())
    line = Scrambler().process(nrzi_encode(hdlc_encode(frame, preamble_flags=4), level))
    bits = nrzi_decode(Descrambler().process(line), previous=level)
    found = Deframer().process(bits)
    assert [f.data for f in found] == [frame]


def test_deframer_streams_across_any_block_boundaries():
    frames = [append_fcs(Frame.ui("N0CALL", "CQ", bytes([i]) * (20 + 37 * i)).encode()) for i in range(6)]
    bits = np.concatenate([hdlc_encode(f, preamble_flags=2, postamble_flags=1) for f in frames])
    rng = np.random.default_rng(1)
    cuts = np.sort(rng.integers(0, bits.size, 40))
    deframer = Deframer()
    found = [f for part in np.split(bits, cuts) for f in deframer.process(part)]
    assert [f.data for f in found] == frames
    whole = Deframer().process(bits)
    assert [f.end_bit for f in found] == [f.end_bit for f in whole]


def test_seven_ones_abort_a_frame():
    frame = append_fcs(Frame.ui("N0CALL", "CQ", b"x" * 30).encode())
    bits = hdlc_encode(frame, preamble_flags=2).copy()
    bits[100:107] = 1  # an abort inside the frame
    deframer = Deframer()
    assert deframer.process(bits) == []
    assert deframer.aborts == 1


def test_descrambler_inverts_the_scrambler_and_resynchronises():
    rng = np.random.default_rng(2)
    data = rng.integers(0, 2, 5000).astype(np.uint8)
    line = Scrambler(state=0x1ABCD).process(data)
    out = Descrambler().process(line)  # starts from a different state
    assert np.array_equal(out[SELF_SYNC_BITS:], data[SELF_SYNC_BITS:])


def test_scrambler_is_the_1_x12_x17_recursion():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 2, 300).astype(np.uint8)
    y = Scrambler().process(x)
    padded = np.concatenate((np.zeros(17, np.uint8), y))
    assert np.array_equal(y, x ^ padded[5:-12] ^ padded[:-17])


def test_nrzi_zero_changes_one_keeps():
    assert nrzi_encode(np.array([0, 1, 1, 0, 0], np.uint8)).tolist() == [1, 1, 1, 0, 1]
    assert nrzi_decode(np.array([1, 1, 1, 0, 1], np.uint8)).tolist() == [0, 1, 1, 0, 0]
