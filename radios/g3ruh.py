"""9600 bd G3RUH modem on audio baseband, compatible with direwolf's 9600 mode.

Transmit: AX.25 frame + FCS -> HDLC (flags, stuffing) -> NRZI -> scrambler -> line levels +-1, each
change drawn as a half-cosine over one bit (direwolf 1.6's waveform: a Hann pulse two bits wide,
free of intersymbol interference at the bit instants, so the spectrum ends near the baud rate).

Receive, per block of samples (vectorised, no per-sample Python):
- DC removal, then a bank of MMSE filters designed for that pulse at a few noise levels;
- feed-forward clock recovery (Oerder-Meyr: the bit-rate line of |y| averaged over 64 bits gives the
  clock phase, unwrapped into a continuous clock), robust to hundreds of ppm of sample-rate error;
- several slicers per filter (timing offsets, thresholds) each with its own descrambler, NRZI and
  HDLC deframer, like direwolf's `-P +`; frames are merged and de-duplicated;
- frames failing the FCS get one or two of their least confident bits flipped (bounded search, and a
  fixed frame must also parse as AX.25 so noise cannot slip through).
`G3ruhDemodulator` streams: it keeps enough history that a frame across a block boundary decodes.
"""

from __future__ import annotations

import functools
import itertools
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from radios.ax25 import Frame, FrameError, append_fcs, check_fcs
from radios.hdlc import (
    MAX_FRAME_BYTES,
    Bits,
    Deframer,
    Descrambler,
    Scrambler,
    bits_to_bytes,
    hdlc_encode,
    nrzi_decode,
    nrzi_encode,
)

FloatArray = npt.NDArray[np.float32]
BAUD_9600 = 9600.0

_TIMING_WINDOW_BITS = 64
_DC_WINDOW_BITS = 1024
_FIX_SINGLE_CANDIDATES = 12  # flip one of the 12 least confident bits...
_FIX_PAIR_CANDIDATES = 8  # ...or two of the 8 least confident: 40 trials per failed frame


def line_waveform(levels: Bits, sample_rate_hz: float, baud: float = BAUD_9600) -> FloatArray:
    """Line levels (0/1) as a +-1 waveform; a change moves along a half cosine lasting one bit."""
    signs = levels.astype(np.float32) * 2 - 1
    n = np.arange(math.ceil(levels.size * sample_rate_hz / baud), dtype=np.float64)
    u = n * (baud / sample_rate_hz)
    k = np.minimum(np.floor(u).astype(np.intp), levels.size - 1)
    ramp = ((1.0 - np.cos(np.pi * (u - k))) * 0.5).astype(np.float32)
    previous = np.concatenate((signs[:1], signs))[k]
    current = signs[k]
    return previous + (current - previous) * ramp


def frame_levels(frames: Iterable[bytes], *, preamble_flags: int = 32, gap_flags: int = 4,
                 postamble_flags: int = 2, scrambler: Scrambler | None = None) -> Bits:
    """Line levels for one transmission: each frame (bytes without FCS) with flags around it."""
    parts: list[Bits] = []
    for i, frame in enumerate(frames):
        parts.append(hdlc_encode(append_fcs(frame), preamble_flags=preamble_flags if i == 0 else gap_flags,
                                 postamble_flags=0))
    if not parts:
        return np.zeros(0, dtype=np.uint8)
    parts.append(hdlc_encode(b"", preamble_flags=postamble_flags, postamble_flags=0))
    bits = np.concatenate(parts)
    return (scrambler or Scrambler()).process(nrzi_encode(bits))


@dataclass(frozen=True)
class G3ruhModulator:
    """Audio-baseband 9600 bd G3RUH transmitter; `amplitude` is the peak, full scale being 1.0."""

    sample_rate_hz: float = 48_000.0
    baud: float = BAUD_9600
    amplitude: float = 0.5
    preamble_flags: int = 32
    gap_flags: int = 4
    postamble_flags: int = 2

    def __post_init__(self) -> None:
        if self.sample_rate_hz < 2 * self.baud:
            raise ValueError(f"sample_rate_hz {self.sample_rate_hz} is below twice the baud {self.baud}")
        if not 0 < self.amplitude <= 1:
            raise ValueError(f"amplitude must be in (0, 1], got {self.amplitude}")

    def baseband(self, frames: Sequence[bytes | Frame]) -> FloatArray:
        """+-1 baseband for one transmission of `frames` (Frame objects, or frame bytes without FCS)."""
        raw = [f.encode() if isinstance(f, Frame) else bytes(f) for f in frames]
        levels = frame_levels(raw, preamble_flags=self.preamble_flags, gap_flags=self.gap_flags,
                              postamble_flags=self.postamble_flags)
        return line_waveform(levels, self.sample_rate_hz, self.baud)

    def modulate(self, frames: Sequence[bytes | Frame]) -> FloatArray:
        """Audio samples (float32, full scale 1.0) for one transmission."""
        return self.baseband(frames) * np.float32(self.amplitude)


@dataclass(frozen=True)
class DecodedFrame:
    """A frame that passed its FCS: bytes without the FCS, where it ended, who found it."""

    data: bytes
    end_sample: int  # input sample index of the end of the closing flag
    decoder: str
    fixed_bits: int = 0  # channel bits flipped to pass the FCS (0: decoded as received)

    def frame(self) -> Frame:
        return Frame.decode(self.data)


@dataclass(frozen=True)
class Slicer:
    """One decoder of the bank: a filter design, a timing offset and a slicing threshold."""

    filter_noise: float  # noise std (relative to the signal) the MMSE filter is designed for
    timing_offset_bits: float = 0.0
    threshold: float = 0.0  # fraction of the local signal amplitude
    fix_bits: bool = False

    @property
    def name(self) -> str:
        return f"mmse{self.filter_noise:g}/t{self.timing_offset_bits:+g}/s{self.threshold:+g}"


# Chosen on direwolf's `gen_packets -n 100` noise ramps (44.1/48/96 kHz) and on a radio-like channel
# (6 kHz low-pass, DC offset, 150 ppm, rising noise): each member wins frames the others miss.
DEFAULT_SLICERS: tuple[Slicer, ...] = (
    Slicer(0.5, fix_bits=True),
    Slicer(0.5, threshold=-0.1, fix_bits=True),
    Slicer(0.5, threshold=0.1, fix_bits=True),
    Slicer(1.0, fix_bits=True),
    Slicer(0.5, timing_offset_bits=0.08),
    Slicer(0.5, timing_offset_bits=-0.08),
)
SINGLE_SLICER: tuple[Slicer, ...] = (Slicer(0.5),)


@functools.lru_cache(maxsize=32)
def mmse_filter(sample_rate_hz: float, baud: float, noise: float, span_bits: float = 5.0) -> FloatArray:
    """Least-squares (MMSE) estimator of the line level at a bit instant from the samples around it.

    Designed on a fixed pseudo-random training sequence of the transmit waveform plus white noise
    of std `noise`, over all fractional sampling phases, so it suits any sample rate.
    """
    rng = np.random.default_rng(12345)
    nbits = 8000
    levels = rng.integers(0, 2, nbits).astype(np.uint8)
    x = line_waveform(levels, sample_rate_hz, baud).astype(np.float64)
    x += rng.standard_normal(x.size) * noise
    sps = sample_rate_hz / baud
    half = round(span_bits * sps / 2)
    # The level of bit k is reached at the end of its interval, (k + 1) bit times.
    centres = np.rint((np.arange(8, nbits - 8) + 1) * sps).astype(np.intp)
    rows = x[centres[:, None] + np.arange(-half, half + 1)[None, :]]
    target = levels[8 : nbits - 8].astype(np.float64) * 2 - 1
    w, *_ = np.linalg.lstsq(rows, target, rcond=None)
    kernel: FloatArray = w[::-1].astype(np.float32)  # as a convolution kernel
    return kernel


def _moving_sum(x: npt.NDArray[Any], width: int) -> npt.NDArray[Any]:
    """Centred moving sum of `width` samples (edges use what exists), in float64/complex128."""
    acc = np.complex128 if np.iscomplexobj(x) else np.float64
    c = np.concatenate((np.zeros(1, x.dtype), x)).cumsum(dtype=acc)
    n = x.size
    width = max(1, min(width, n))
    ahead, behind = width - width // 2, width // 2
    hi = np.concatenate((c[ahead:], np.repeat(c[-1:], ahead - 1)))
    lo = np.concatenate((np.repeat(c[:1], behind), c[: n - behind]))
    total: npt.NDArray[Any] = hi[:n] - lo
    return total


def _clock(y: FloatArray, sps: float) -> npt.NDArray[np.float64]:
    """Continuous clock in bits at each sample: integer values fall on the bit instants."""
    n = np.arange(y.size, dtype=np.float64)
    angle = (2 * np.pi / sps) * n
    magnitude = np.abs(y)
    rot = np.empty(y.size, dtype=np.complex64)
    rot.real = magnitude * np.cos(angle).astype(np.float32)
    rot.imag = magnitude * -np.sin(angle).astype(np.float32)
    line = _moving_sum(rot, int(_TIMING_WINDOW_BITS * sps))
    phase = np.unwrap(np.angle(line))
    clock: npt.NDArray[np.float64] = n / sps + phase / (2 * np.pi)
    # Keep it monotonic where noise alone drives the phase (no signal: nothing to lose).
    np.maximum.accumulate(clock, out=clock)
    return clock


@dataclass
class _Soft:
    positions: npt.NDArray[np.float64]  # sample index of each bit instant
    values: FloatArray  # filtered signal at the instants
    amplitude: FloatArray  # local mean |value|


def _soft_bits(y: FloatArray, clock: npt.NDArray[np.float64], offset_bits: float) -> _Soft:
    n = np.arange(y.size, dtype=np.float64)
    if y.size < 2 or clock[-1] - clock[0] < 2:
        empty = np.zeros(0, np.float32)
        return _Soft(np.zeros(0), empty, empty)
    ticks = np.arange(math.ceil(clock[0] + offset_bits), math.floor(clock[-1] + offset_bits)) - offset_bits
    positions = np.interp(ticks, clock, n)
    values = np.interp(positions, n, y).astype(np.float32)
    amplitude = (_moving_sum(np.abs(values), 32) / 32).astype(np.float32)
    return _Soft(positions, values, amplitude)


def _decode_trials(channels: Bits) -> tuple[int, bytes] | None:
    """First row of channel-bit trials (17 bits of descrambler history and 1 of NRZI history, then
    the segment) that yields an FCS-valid AX.25 frame: (row, frame bytes with FCS)."""
    ch = channels
    descrambled = ch[:, 17:] ^ ch[:, 5:-12] ^ ch[:, :-17]
    data = 1 ^ (descrambled[:, 1:] ^ descrambled[:, :-1])
    idx = np.arange(data.shape[1], dtype=np.int32)
    last_zero = np.where(data == 0, idx, np.int32(-1))
    np.maximum.accumulate(last_zero, axis=1, out=last_zero)
    run = idx - last_zero
    aborted = run.max(axis=1) >= 7
    stuffed = np.zeros(data.shape, dtype=bool)
    stuffed[:, 1:] = (data[:, 1:] == 0) & (run[:, :-1] == 5)
    for row in np.flatnonzero(~aborted).tolist():
        payload = data[row][~stuffed[row]]
        if payload.size % 8:
            continue
        out = bits_to_bytes(payload)
        if check_fcs(out) and _is_ax25(out[:-2]):
            return row, out
    return None


def _is_ax25(data: bytes) -> bool:
    try:
        Frame.decode(data)
    except FrameError:
        return False
    return True


_FLIPS: tuple[tuple[int, ...], ...] = tuple(
    itertools.chain(
        ((i,) for i in range(_FIX_SINGLE_CANDIDATES)),
        itertools.combinations(range(_FIX_PAIR_CANDIDATES), 2),
    )
)


def _try_fix(channel: Bits, confidence: FloatArray) -> tuple[bytes, int] | None:
    """Flip the least confident bits (one, or two) and keep the first trial that passes."""
    order = np.argsort(confidence[18:]) + 18
    trials = np.repeat(channel[None, :], len(_FLIPS), axis=0)
    for row, flips in enumerate(_FLIPS):
        trials[row, order[list(flips)]] ^= 1
    hit = _decode_trials(trials)
    if hit is None:
        return None
    row, data = hit
    return data, len(_FLIPS[row])


def _slice(soft: _Soft, slicer: Slicer) -> list[DecodedFrame]:
    bits = (soft.values > slicer.threshold * soft.amplitude).astype(np.uint8)
    deframer = Deframer(keep_failures=slicer.fix_bits)
    data_bits = nrzi_decode(Descrambler().process(bits))
    found = [
        DecodedFrame(f.data[:-2], round(soft.positions[min(f.end_bit, soft.positions.size - 1)]),
                     slicer.name)
        for f in deframer.process(data_bits)
    ]
    for start, end in deframer.failures:
        if start < 18:
            continue
        span = slice(start - 18, end)
        channel = bits[span]
        confidence = np.abs(soft.values[span] - slicer.threshold * soft.amplitude[span])
        fixed = _try_fix(channel, confidence)
        if fixed is not None:
            data, count = fixed
            end_bit = min(end + 7, soft.positions.size - 1)
            found.append(DecodedFrame(data[:-2], round(soft.positions[end_bit]), slicer.name, count))
    return found


def soft_levels(samples: npt.ArrayLike, sample_rate_hz: float, baud: float = BAUD_9600,
                filter_noise: float = 0.5) -> tuple[npt.NDArray[np.float64], FloatArray]:
    """(sample position, filtered value) at each recovered bit instant: the slicer's input.

    Positive values are line level 1. For bit-error-rate measurement and diagnostics.
    """
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    sps = sample_rate_hz / baud
    dc_width = int(_DC_WINDOW_BITS * sps)
    x = x - (_moving_sum(x, dc_width) / dc_width).astype(np.float32)
    y = np.convolve(x, mmse_filter(sample_rate_hz, baud, filter_noise), mode="same").astype(np.float32)
    soft = _soft_bits(y, _clock(y, sps), 0.0)
    return soft.positions, soft.values


def demodulate_block(samples: npt.ArrayLike, sample_rate_hz: float, baud: float = BAUD_9600,
                     slicers: Sequence[Slicer] = DEFAULT_SLICERS) -> list[DecodedFrame]:
    """Every frame in one block of audio (batch form; `G3ruhDemodulator` streams)."""
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    sps = sample_rate_hz / baud
    if x.size < 64 * sps:
        return []
    dc_width = int(_DC_WINDOW_BITS * sps)
    x = x - (_moving_sum(x, dc_width) / dc_width).astype(np.float32)
    found: list[DecodedFrame] = []
    filtered: dict[float, tuple[FloatArray, npt.NDArray[np.float64]]] = {}
    for slicer in slicers:
        if slicer.filter_noise not in filtered:
            h = mmse_filter(sample_rate_hz, baud, slicer.filter_noise)
            y = np.convolve(x, h, mode="same").astype(np.float32)
            filtered[slicer.filter_noise] = (y, _clock(y, sps))
        y, clock = filtered[slicer.filter_noise]
        found.extend(_slice(_soft_bits(y, clock, slicer.timing_offset_bits), slicer))
    return merge_frames(found, tolerance_samples=int(16 * sps))


def merge_frames(frames: Iterable[DecodedFrame], tolerance_samples: int) -> list[DecodedFrame]:
    """One entry per frame: same bytes ending within `tolerance_samples` are the same frame.

    The copy kept is the one decoded without fixing, from the earliest decoder in the bank.
    """
    kept: list[DecodedFrame] = []
    for frame in sorted(frames, key=lambda f: (f.end_sample, f.fixed_bits)):
        duplicate = next(
            (i for i, k in enumerate(kept)
             if k.data == frame.data and abs(k.end_sample - frame.end_sample) <= tolerance_samples),
            None,
        )
        if duplicate is None:
            kept.append(frame)
        elif frame.fixed_bits < kept[duplicate].fixed_bits:
            kept[duplicate] = frame
    return kept


class OverlapDecoder:
    """Streams a batch decoder: blocks accumulate; each run keeps enough history for a whole frame.

    A frame is reported once, from the first run where its end is at least `guard` samples before
    the end of the data (so its clock and filters saw both sides); `flush` reports the rest.
    """

    def __init__(self, decode: Callable[[npt.NDArray[Any]], list[DecodedFrame]], *, history: int, guard: int,
                 chunk: int, tolerance: int) -> None:
        self._decode = decode
        self._history = history
        self._guard = guard
        self._chunk = chunk
        self._tolerance = tolerance
        self._buf: list[npt.NDArray[Any]] = []
        self._buf_len = 0
        self._buf_start = 0  # absolute index of the first buffered sample
        self._final_until = 0  # frames ending before this were already reported
        self._pending = 0  # samples since the last run
        self._recent: list[DecodedFrame] = []

    def process(self, samples: npt.NDArray[Any]) -> list[DecodedFrame]:
        if samples.size:
            self._buf.append(samples)
            self._buf_len += samples.size
            self._pending += samples.size
        if self._pending < self._chunk:
            return []
        return self._run(final=False)

    def flush(self) -> list[DecodedFrame]:
        return self._run(final=True) if self._buf_len else []

    def _run(self, *, final: bool) -> list[DecodedFrame]:
        data = np.concatenate(self._buf) if len(self._buf) > 1 else self._buf[0]
        end = self._buf_start + data.size
        limit = end if final else end - self._guard
        out: list[DecodedFrame] = []
        for f in self._decode(data):
            absolute = DecodedFrame(f.data, f.end_sample + self._buf_start, f.decoder, f.fixed_bits)
            if not self._final_until <= absolute.end_sample < limit:
                continue
            if any(r.data == absolute.data and abs(r.end_sample - absolute.end_sample) <= self._tolerance
                   for r in self._recent):
                continue
            out.append(absolute)
        self._recent = [r for r in self._recent if r.end_sample >= limit - 4 * self._tolerance] + out
        self._final_until = max(self._final_until, limit)
        keep = min(data.size, self._history)
        tail = data[data.size - keep :]
        self._buf = [tail]
        self._buf_len = tail.size
        self._buf_start = end - keep
        self._pending = 0
        return out


class G3ruhDemodulator:
    """Streaming audio demodulator: `process(block)` returns frames as they complete, `flush()` the rest.

    `slicers` is the decoder bank (DEFAULT_SLICERS: six, four of them fixing bits; SINGLE_SLICER: one).
    Latency is about `chunk_s`; a single `process` call with a whole recording decodes it in one run.
    """

    def __init__(self, sample_rate_hz: float, baud: float = BAUD_9600, *,
                 slicers: Sequence[Slicer] = DEFAULT_SLICERS, chunk_s: float = 1.0,
                 max_frame_bytes: int = MAX_FRAME_BYTES) -> None:
        if sample_rate_hz < 2 * baud:
            raise ValueError(f"sample_rate_hz {sample_rate_hz} is below twice the baud {baud}")
        self.sample_rate_hz = sample_rate_hz
        self.baud = baud
        self.slicers = tuple(slicers)
        sps = sample_rate_hz / baud
        frame_bits = max_frame_bytes * 8 * 6 // 5 + 64
        guard = int((_TIMING_WINDOW_BITS + 16) * sps)
        self._stream = OverlapDecoder(
            lambda x: demodulate_block(x, sample_rate_hz, baud, self.slicers),
            history=int(frame_bits * sps) + 2 * guard,
            guard=guard,
            chunk=int(chunk_s * sample_rate_hz) if math.isfinite(chunk_s) else sys.maxsize,
            tolerance=int(16 * sps),
        )

    def process(self, samples: npt.ArrayLike) -> list[DecodedFrame]:
        return self._stream.process(np.asarray(samples, dtype=np.float32).reshape(-1))

    def flush(self) -> list[DecodedFrame]:
        return self._stream.flush()


def demodulate(samples: npt.ArrayLike, sample_rate_hz: float, baud: float = BAUD_9600,
               slicers: Sequence[Slicer] = DEFAULT_SLICERS) -> list[DecodedFrame]:
    """Every frame in a recording, in order."""
    demod = G3ruhDemodulator(sample_rate_hz, baud, slicers=slicers, chunk_s=math.inf)
    return demod.process(samples) + demod.flush()
