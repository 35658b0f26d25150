"""HDLC bit layer for AX.25 at 9600 bd: flags, bit stuffing, NRZI and the G3RUH scrambler.

Bits are numpy uint8 arrays of 0/1, bytes sent least significant bit first. Transmit chain:
frame+FCS -> stuffing between flags -> NRZI (0 = change) -> scrambler (1 + x^12 + x^17). Receive
undoes it in the other order; the deframer looks for aborts (seven ones) before removing stuffed
zeros, because frames carry 0xFF bytes that are only legal once stuffed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from radios.ax25 import MIN_FRAME_BYTES, check_fcs

Bits = npt.NDArray[np.uint8]

FLAG_BITS: Bits = np.array([0, 1, 1, 1, 1, 1, 1, 0], dtype=np.uint8)  # 0x7E, LSB first (symmetric)
SCRAMBLER_TAPS = (12, 17)
MAX_FRAME_BYTES = 2 + 70 + 2 + 512 + 2  # generous: 10 addresses, control, PID, 512-byte info, FCS


def bytes_to_bits(data: bytes) -> Bits:
    """Bits of `data`, least significant bit of each byte first."""
    return np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")


def bits_to_bytes(bits: npt.ArrayLike) -> bytes:
    return np.packbits(np.asarray(bits, dtype=np.uint8), bitorder="little").tobytes()


def _ones_run(bits: Bits, run_before: int = 0) -> npt.NDArray[np.int64]:
    """Length of the run of ones ending at each position (0 where the bit is 0)."""
    n = np.arange(bits.size, dtype=np.int64)
    last_zero = np.where(bits == 0, n, -1 - run_before)
    np.maximum.accumulate(last_zero, out=last_zero)
    return n - last_zero


def stuff(bits: Bits) -> Bits:
    """Insert a 0 after every five consecutive 1s."""
    run = _ones_run(bits)
    after = np.flatnonzero((run > 0) & (run % 5 == 0)) + 1
    return np.insert(bits, after, 0).astype(np.uint8)


def hdlc_encode(frame_with_fcs: bytes, *, preamble_flags: int = 32, postamble_flags: int = 2) -> Bits:
    """Flags, the stuffed frame, flags: the bit stream before NRZI."""
    return np.concatenate(
        (
            np.tile(FLAG_BITS, preamble_flags),
            stuff(bytes_to_bits(frame_with_fcs)),
            np.tile(FLAG_BITS, postamble_flags),
        )
    )


def nrzi_encode(bits: Bits, level: int = 0) -> Bits:
    """NRZI: a 0 toggles the line level, a 1 keeps it. `level` is the level before the first bit."""
    toggles = np.cumsum(1 - bits.astype(np.int64)) & 1
    return (toggles ^ (level & 1)).astype(np.uint8)


def nrzi_decode(levels: Bits, previous: int = 0) -> Bits:
    """1 where the level stayed, 0 where it changed. `previous` is the level before the first."""
    before = np.concatenate(([previous & 1], levels[:-1])).astype(np.uint8)
    return (1 ^ (levels ^ before)).astype(np.uint8)


class Scrambler:
    """G3RUH self-synchronising scrambler 1 + x^12 + x^17 (transmit side; recursive, so a loop)."""

    def __init__(self, state: int = 0) -> None:
        self.state = state & 0x1FFFF

    def process(self, bits: Bits) -> Bits:
        out = np.empty(bits.size, dtype=np.uint8)
        state = self.state
        for i, bit in enumerate(bits.tolist()):
            y = (bit ^ (state >> 11) ^ (state >> 16)) & 1
            state = ((state << 1) | y) & 0x1FFFF
            out[i] = y
        self.state = state
        return out


class Descrambler:
    """Receive side: y[n] = x[n] ^ x[n-12] ^ x[n-17]; a plain FIR, vectorised, history carried over."""

    def __init__(self) -> None:
        self._history: Bits = np.zeros(SCRAMBLER_TAPS[1], dtype=np.uint8)

    def process(self, bits: Bits) -> Bits:
        joined = np.concatenate((self._history, bits))
        h = SCRAMBLER_TAPS[1]
        out = joined[h:] ^ joined[h - SCRAMBLER_TAPS[0] : -SCRAMBLER_TAPS[0]] ^ joined[: joined.size - h]
        self._history = joined[-h:]
        return out.astype(np.uint8)


def descramble(bits: Bits) -> Bits:
    return Descrambler().process(bits)


@dataclass(frozen=True)
class RawFrame:
    """Frame bytes (FCS included and checked) and the stream index of the closing flag's last bit."""

    data: bytes
    end_bit: int


class Deframer:
    """Finds FCS-valid frames between HDLC flags in a stream of NRZI-decoded bits, block by block."""

    def __init__(self, *, max_frame_bytes: int = MAX_FRAME_BYTES, check_fcs: bool = True,
                 keep_failures: bool = False) -> None:
        self._max_bits = (max_frame_bytes * 8 * 6) // 5 + 16
        self._check_fcs = check_fcs
        self._keep_failures = keep_failures
        # (first, end) stream bit indices of failed segments right after two flags in a row (a real
        # frame's preamble, rare in noise): candidates for bit fixing when keep_failures is set.
        self.failures: list[tuple[int, int]] = []
        self._carry: Bits = np.zeros(0, dtype=np.uint8)
        self._carry_start = 0  # stream index of _carry[0]
        self.aborts = 0
        self.fcs_errors = 0

    def process(self, bits: Bits) -> list[RawFrame]:
        b = np.concatenate((self._carry, bits.astype(np.uint8, copy=False)))
        start = self._carry_start
        run = _ones_run(b)
        # Flag = 0 111111 0: its closing 0 at n, six ones before it, and a 0 seven before.
        n = np.flatnonzero((b[7:] == 0) & (run[6:-1] == 6)) + 7
        frames: list[RawFrame] = []
        min_bits = MIN_FRAME_BYTES * 8
        flag_ends = set(n.tolist())
        for left, right in zip(n[:-1].tolist(), n[1:].tolist(), strict=True):
            seg_start, seg_end = left + 1, right - 7
            length = seg_end - seg_start
            if length < min_bits or length > self._max_bits:
                continue
            data = self._segment(b[seg_start:seg_end], run[seg_start:seg_end])
            if data is not None:
                frames.append(RawFrame(data, start + right))
            elif self._keep_failures and left - 8 in flag_ends:
                self.failures.append((start + seg_start, start + seg_end))
        # Keep from the last flag's opening 0 so the next block sees it again; bound the carry.
        keep_from = int(n[-1]) - 7 if n.size else b.size - 8
        keep_from = max(keep_from, b.size - self._max_bits - 16, 0)
        self._carry = b[keep_from:].copy()
        self._carry_start = start + keep_from
        return frames

    def _segment(self, seg: Bits, seg_run: npt.NDArray[np.int64]) -> bytes | None:
        if int(seg_run.max()) >= 7:
            self.aborts += 1
            return None
        stuffed = (seg == 0) & (np.concatenate(([0], seg_run[:-1])) == 5)
        data_bits = seg[~stuffed]
        if data_bits.size % 8:
            return None
        data = bits_to_bytes(data_bits)
        if self._check_fcs and not check_fcs(data):
            self.fcs_errors += 1
            return None
        return data
