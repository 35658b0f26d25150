"""Complex-baseband (IQ) path for SDRs: FM modulator, and a G3RUH receiver with AFC and discriminator.

Receiver chain, at any SDR rate (240 ksps to a few Msps):
1. streaming channel filter and decimation to an IF rate of 96-192 ksps (wide enough for a carrier
   offset of +-`max_offset_hz` plus the FM signal);
2. in overlapping blocks: a carrier-frequency track from the lag-L autocorrelation (L picked where
   the channel filter leaves the noise uncorrelated, so noise does not drag the estimate towards
   zero), smoothed over 256 bits (a centred window follows a linear Doppler ramp without lag);
   derotation by that track; a narrow filter (Carson bandwidth) and decimation to 40-80 ksps;
3. a limiter-discriminator, scaled so the deviation gives +-1, into the audio G3RUH demodulator.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import signal

from radios.ax25 import Frame
from radios.g3ruh import (
    BAUD_9600,
    DEFAULT_SLICERS,
    DecodedFrame,
    FloatArray,
    OverlapDecoder,
    Slicer,
    _moving_sum,
    demodulate_block,
    frame_levels,
    line_waveform,
)
from radios.hdlc import MAX_FRAME_BYTES

ComplexArray = npt.NDArray[np.complex64]

DEVIATION_HZ = 3000.0  # the usual G3RUH FM deviation at 9600 bd
MAX_OFFSET_HZ = 12_500.0
_IF_MIN_RATE_HZ = 96_000.0
_AFC_WINDOW_BITS = 256
_AUDIO_MIN_RATE_HZ = 40_000.0


class FmModulator:
    """Phase-continuous FM: baseband +-1 swings the carrier by +-`deviation_hz`."""

    def __init__(self, sample_rate_hz: float, deviation_hz: float = DEVIATION_HZ) -> None:
        self.sample_rate_hz = sample_rate_hz
        self.deviation_hz = deviation_hz
        self._phase_rad = 0.0

    def modulate(self, baseband: npt.ArrayLike) -> ComplexArray:
        m = np.asarray(baseband, dtype=np.float64).reshape(-1)
        phase = self._phase_rad + np.cumsum(m) * (2 * np.pi * self.deviation_hz / self.sample_rate_hz)
        if phase.size:
            self._phase_rad = float(math.fmod(phase[-1], 2 * np.pi))
        out: ComplexArray = np.exp(1j * phase).astype(np.complex64)
        return out


@dataclass(frozen=True)
class G3ruhIqModulator:
    """Frames to unit-amplitude complex baseband: G3RUH line levels, FM at `deviation_hz`."""

    sample_rate_hz: float = 240_000.0
    baud: float = BAUD_9600
    deviation_hz: float = DEVIATION_HZ
    preamble_flags: int = 32
    gap_flags: int = 4
    postamble_flags: int = 2

    def modulate(self, frames: Sequence[bytes | Frame]) -> ComplexArray:
        raw = [f.encode() if isinstance(f, Frame) else bytes(f) for f in frames]
        levels = frame_levels(raw, preamble_flags=self.preamble_flags, gap_flags=self.gap_flags,
                              postamble_flags=self.postamble_flags)
        return self.modulate_levels(levels)

    def modulate_levels(self, levels: npt.NDArray[np.uint8]) -> ComplexArray:
        """Any line-level sequence (used for bit-error-rate measurements)."""
        baseband = line_waveform(levels, self.sample_rate_hz, self.baud)
        return FmModulator(self.sample_rate_hz, self.deviation_hz).modulate(baseband)


class _Decimator:
    """Streaming FIR low-pass and decimation by `factor` (upfirdn on blocks, history carried)."""

    def __init__(self, taps: FloatArray, factor: int) -> None:
        self.taps = taps
        self.factor = factor
        history = -(-(taps.size - 1) // factor) * factor  # a multiple of the factor
        self._history = history
        self._buf: ComplexArray = np.zeros(history, dtype=np.complex64)

    @property
    def delay_samples(self) -> float:
        """Group delay in input samples (the taps are symmetric)."""
        return (self.taps.size - 1) / 2

    def process(self, x: ComplexArray) -> ComplexArray:
        joined = np.concatenate((self._buf, x))
        usable = (joined.size - self._history) // self.factor * self.factor
        if usable <= 0:
            self._buf = joined
            return np.zeros(0, dtype=np.complex64)
        if self.factor == 1 and self.taps.size == 1:
            out = joined[self._history : self._history + usable]
        else:
            y = signal.upfirdn(self.taps, joined[: self._history + usable], up=1, down=self.factor)
            first = self._history // self.factor
            out = y[first : first + usable // self.factor].astype(np.complex64)
        self._buf = joined[usable:]
        return out


def _lowpass(cutoff_hz: float, rate_hz: float, transition_hz: float) -> FloatArray:
    numtaps = max(3, int(4.0 * rate_hz / transition_hz) | 1)
    taps: FloatArray = signal.firwin(numtaps, cutoff_hz, fs=rate_hz, window=("kaiser", 7.0))
    taps = taps.astype(np.float32)
    return taps


class IqFrontEnd:
    """Stage 2 of the receiver on a block at the IF rate: AFC, narrow filter, discriminator."""

    def __init__(self, if_rate_hz: float, baud: float, deviation_hz: float, afc_lag: int,
                 noise_correlation: float = 0.0) -> None:
        self.if_rate_hz = if_rate_hz
        self.baud = baud
        self.deviation_hz = deviation_hz
        self.audio_factor = max(1, int(if_rate_hz // _AUDIO_MIN_RATE_HZ))
        self.audio_rate_hz = if_rate_hz / self.audio_factor
        carson_hz = deviation_hz + baud / 2
        self._narrow = _lowpass(carson_hz + 0.2 * baud, if_rate_hz, baud / 2)
        self.afc_lag = afc_lag
        self.noise_correlation = noise_correlation  # of the IF noise at lag afc_lag (real: symmetric taps)
        self.afc_window = int(_AFC_WINDOW_BITS * if_rate_hz / baud)

    def frequency_track(self, z: ComplexArray) -> FloatArray:
        """Carrier offset in Hz at each sample (centred 256-bit average of the lag-L correlation)."""
        lag = self.afc_lag
        if z.size <= lag:
            return np.zeros(z.size, dtype=np.float32)
        prod = z[lag:] * np.conj(z[:-lag])
        smooth = _moving_sum(prod, self.afc_window)
        if self.noise_correlation:
            # The noise part of the correlation is real and pulls the angle towards 0 Hz: remove it,
            # with the noise power from the envelope moments (M2M4: constant-envelope FM in noise).
            power = np.abs(z[lag:]) ** 2
            m2 = _moving_sum(power, self.afc_window)
            m4 = _moving_sum(power * power, self.afc_window)
            count = _moving_sum(np.ones(power.size, np.float32), self.afc_window)
            m2, m4 = m2 / count, m4 / count
            signal_power = np.sqrt(np.maximum(2 * m2 * m2 - m4, 0.0))
            smooth = smooth - count * (m2 - signal_power) * self.noise_correlation
        hz = np.angle(smooth) * (self.if_rate_hz / (2 * np.pi * lag))
        return np.concatenate((np.full(lag, hz[0]), hz)).astype(np.float32)

    def discriminate(self, z: ComplexArray) -> tuple[FloatArray, FloatArray]:
        """(baseband at audio_rate_hz scaled to +-1 at full deviation, the frequency track)."""
        track = self.frequency_track(z)
        phase = np.cumsum(track, dtype=np.float64) * (-2 * np.pi / self.if_rate_hz)
        centred = z * np.exp(1j * phase).astype(np.complex64)
        narrow = signal.upfirdn(self._narrow, centred, up=1, down=self.audio_factor)
        delay = (self._narrow.size - 1) // 2 // self.audio_factor
        narrow = narrow[delay : delay + -(-z.size // self.audio_factor)]
        if narrow.size < 2:
            return np.zeros(0, dtype=np.float32), track
        scale = self.audio_rate_hz / (2 * np.pi * self.deviation_hz)
        d = np.angle(narrow[1:] * np.conj(narrow[:-1])) * scale
        return np.concatenate(([0.0], d)).astype(np.float32), track


class G3ruhIqDemodulator:
    """Streaming IQ receiver for 9600 bd G3RUH FM: `process(iq)` -> frames, `flush()` the rest.

    `end_sample` of each frame is in input samples. Tolerates +-`max_offset_hz` of carrier offset
    and Doppler ramps of hundreds of Hz/s (the frequency track follows them).
    """

    def __init__(self, sample_rate_hz: float, baud: float = BAUD_9600, *, deviation_hz: float = DEVIATION_HZ,
                 max_offset_hz: float = MAX_OFFSET_HZ, slicers: Sequence[Slicer] = DEFAULT_SLICERS,
                 chunk_s: float = 0.5, max_frame_bytes: int = MAX_FRAME_BYTES) -> None:
        if sample_rate_hz < 2 * (max_offset_hz + deviation_hz + baud):
            raise ValueError(f"sample_rate_hz {sample_rate_hz} too low for the offset and signal bandwidth")
        self.sample_rate_hz = sample_rate_hz
        self.slicers = tuple(slicers)
        factor = max(1, int(sample_rate_hz // _IF_MIN_RATE_HZ))
        self.if_rate_hz = sample_rate_hz / factor
        if factor == 1:
            taps: FloatArray = np.ones(1, dtype=np.float32)
            afc_lag = 1  # unfiltered noise is white: uncorrelated at lag 1 already
        else:
            # The IF filter passes |f| < if_rate / (2 L): its noise is then uncorrelated at lag L
            # (the sinc autocorrelation's first null), where the AFC correlator looks.
            needed_hz = max_offset_hz + deviation_hz + 0.75 * baud
            afc_lag = max(1, int(self.if_rate_hz // (2 * needed_hz)))
            half_band = self.if_rate_hz / (2 * afc_lag)
            taps = _lowpass(half_band, sample_rate_hz, max(self.if_rate_hz - 2 * half_band, baud))
        self._decimator = _Decimator(taps, factor)
        shift = afc_lag * factor
        rho = float(np.dot(taps[:-shift], taps[shift:]) / np.dot(taps, taps)) if taps.size > shift else 0.0
        self.front = IqFrontEnd(self.if_rate_hz, baud, deviation_hz, afc_lag, rho)
        sps_if = self.if_rate_hz / baud
        frame_bits = max_frame_bytes * 8 * 6 // 5 + 64
        guard = int((_AFC_WINDOW_BITS // 2 + 80) * sps_if)
        self._stream = OverlapDecoder(
            self._decode_if_block,
            history=int(frame_bits * sps_if) + 2 * guard,
            guard=guard,
            chunk=int(chunk_s * self.if_rate_hz) if math.isfinite(chunk_s) else 2**62,
            tolerance=int(16 * sps_if),
        )

    def _decode_if_block(self, z: npt.NDArray[Any]) -> list[DecodedFrame]:
        audio, _ = self.front.discriminate(z.astype(np.complex64, copy=False))
        found = demodulate_block(audio, self.front.audio_rate_hz, self.front.baud, self.slicers)
        k = self.front.audio_factor
        return [DecodedFrame(f.data, f.end_sample * k, f.decoder, f.fixed_bits) for f in found]

    def _to_input(self, frames: list[DecodedFrame]) -> list[DecodedFrame]:
        k = self._decimator.factor
        delay = self._decimator.delay_samples
        return [DecodedFrame(f.data, int(f.end_sample * k + delay), f.decoder, f.fixed_bits) for f in frames]

    def process(self, iq: npt.ArrayLike) -> list[DecodedFrame]:
        z = self._decimator.process(np.asarray(iq, dtype=np.complex64).reshape(-1))
        return self._to_input(self._stream.process(z))

    def flush(self) -> list[DecodedFrame]:
        return self._to_input(self._stream.flush())

    def discriminate(self, iq: npt.ArrayLike) -> tuple[FloatArray, float]:
        """(discriminator output, its sample rate) for a whole recording: for measurements.

        Uses this receiver's decimator, so call it on a fresh receiver, not while streaming.
        """
        z = self._decimator.process(np.asarray(iq, dtype=np.complex64).reshape(-1))
        audio, _ = self.front.discriminate(z)
        return audio, self.front.audio_rate_hz


def demodulate_iq(iq: npt.ArrayLike, sample_rate_hz: float, baud: float = BAUD_9600,
                  **kwargs: object) -> list[DecodedFrame]:
    """Every frame in an IQ recording."""
    demod = G3ruhIqDemodulator(sample_rate_hz, baud, chunk_s=math.inf, **kwargs)  # type: ignore[arg-type]
    return demod.process(iq) + demod.flush()
