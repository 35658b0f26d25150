"""Streaming complex-baseband channel: delay, sample-rate offset, carrier offset and Doppler ramp, AWGN.

`ChannelConfig` is the frozen description; `ChannelModel(config)` is the stateful processor. Blocks
fed to `process` in any partition give the same output stream as one big block (phase, time,
resampler history and the noise generator all carry over), so a loopback radio can push whatever
block sizes its TX path produces.

Order of effects, as a real receiver sees them: the transmitted signal is delayed, sampled by a
receiver clock that runs `sample_rate_offset_ppm` fast, shifted by the carrier offset plus the
Doppler ramp (phase continuous), and receiver noise is added last (so noise flows even when the
transmitter is silent: feed zeros).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

ComplexArray = npt.NDArray[np.complex64]

# Fractional-delay interpolator: Kaiser-windowed sinc, 16 taps, 1024 phases (timing error <= 1/2048
# sample), exact enough for signals up to ~0.4 fs.
_HALF_TAPS = 8
_PHASES = 1024
_KAISER_BETA = 7.0


def _interpolator_table() -> npt.NDArray[np.float32]:
    mu = np.arange(_PHASES + 1, dtype=np.float64)[:, None] / _PHASES
    k = np.arange(-_HALF_TAPS + 1, _HALF_TAPS + 1, dtype=np.float64)[None, :]
    x = k - mu
    window = np.kaiser(4 * _HALF_TAPS + 1, _KAISER_BETA)
    # Sample the window continuously at x (window spans [-HALF, HALF]).
    grid = np.linspace(-_HALF_TAPS, _HALF_TAPS, window.size)
    taps = np.sinc(x) * np.interp(x, grid, window)
    taps /= taps.sum(axis=1, keepdims=True)  # unit DC gain at every phase
    return taps.astype(np.float32)


_TABLE = _interpolator_table()


@dataclass(frozen=True)
class ChannelConfig:
    """What the channel does to a complex baseband stream sampled at `sample_rate_hz`.

    Noise: give `ebn0_db` (with `bit_rate_bps`) or `snr_db` (signal power over the noise power in
    the whole sampled bandwidth `sample_rate_hz`), or neither for a noiseless channel. Noise is
    referenced to `signal_power` (mean |iq|^2 of the transmitted signal: 1.0 for unit-envelope FM).
    Carrier offset at time t (seconds since the first sample): `carrier_offset_hz +
    doppler_rate_hz_s * t`. `sample_rate_offset_ppm` > 0: the receiver clock runs fast, so more
    samples come out than went in. `delay_s` >= 0: the output starts with that much silence (noise).
    """

    sample_rate_hz: float
    ebn0_db: float | None = None
    bit_rate_bps: float | None = None
    snr_db: float | None = None
    carrier_offset_hz: float = 0.0
    doppler_rate_hz_s: float = 0.0
    sample_rate_offset_ppm: float = 0.0
    delay_s: float = 0.0
    signal_power: float = 1.0
    seed: int | None = None

    def __post_init__(self) -> None:
        if not self.sample_rate_hz > 0:
            raise ValueError(f"sample_rate_hz must be > 0, got {self.sample_rate_hz}")
        if self.ebn0_db is not None and self.snr_db is not None:
            raise ValueError("give ebn0_db or snr_db, not both")
        if self.ebn0_db is not None and not (self.bit_rate_bps is not None and self.bit_rate_bps > 0):
            raise ValueError("ebn0_db needs bit_rate_bps > 0")
        if self.delay_s < 0:
            raise ValueError(f"delay_s must be >= 0, got {self.delay_s}")
        if not -1e5 < self.sample_rate_offset_ppm < 1e5:
            raise ValueError(f"sample_rate_offset_ppm out of range: {self.sample_rate_offset_ppm}")
        if not self.signal_power > 0:
            raise ValueError(f"signal_power must be > 0, got {self.signal_power}")

    @property
    def snr_in_band_db(self) -> float | None:
        """SNR over the sampled bandwidth, from whichever of ebn0_db/snr_db was given."""
        if self.snr_db is not None:
            return self.snr_db
        if self.ebn0_db is not None and self.bit_rate_bps is not None:
            return self.ebn0_db + 10.0 * math.log10(self.bit_rate_bps / self.sample_rate_hz)
        return None

    @property
    def noise_variance(self) -> float:
        """Total complex noise power per sample (E|n|^2); 0.0 for a noiseless channel."""
        snr = self.snr_in_band_db
        return 0.0 if snr is None else self.signal_power / 10.0 ** (snr / 10.0)


class ChannelModel:
    """Stateful processor for a `ChannelConfig`: feed blocks in order with `process`.

    Output length: with no sample-rate offset and a delay of a whole number of samples, each call
    returns exactly as many samples as it was given. Otherwise the fractional resampler needs 8
    samples of look-ahead, so a call returns the samples that are ready (about
    len(iq) * (1 + ppm * 1e-6) in the long run); `flush()` returns the rest.
    """

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config
        fs = config.sample_rate_hz
        self._rate = 1.0 / (1.0 + config.sample_rate_offset_ppm * 1e-6)  # input samples per output
        self._delay_samples = config.delay_s * fs
        self._integer_path = config.sample_rate_offset_ppm == 0 and math.isclose(
            self._delay_samples, round(self._delay_samples), abs_tol=1e-9
        )
        self._rng = np.random.default_rng(config.seed)
        self._noise_sigma = math.sqrt(config.noise_variance / 2.0)
        self._phase_rad = 0.0  # carrier phase at the next output sample, kept in [0, 2pi)
        self._offset_hz = config.carrier_offset_hz  # carrier offset at the next output sample
        self.samples_in = 0
        self.samples_out = 0
        if self._integer_path:
            self._line: ComplexArray = np.zeros(round(self._delay_samples), dtype=np.complex64)
        else:
            # History starts with zeros: the signal is silent before its first sample.
            pad = _HALF_TAPS + math.ceil(self._delay_samples) + 2
            self._buf: ComplexArray = np.zeros(pad, dtype=np.complex64)
            self._buf_start = -pad  # absolute input index of self._buf[0]

    @property
    def time_s(self) -> float:
        """Receiver time of the next output sample, seconds since the stream started."""
        return self.samples_out / self.config.sample_rate_hz

    def process(self, iq: npt.ArrayLike) -> ComplexArray:
        """Pass a block of transmitted samples through the channel; returns the received samples."""
        x = np.asarray(iq, dtype=np.complex64).reshape(-1)
        self.samples_in += x.size
        moved = self._delay_line(x) if self._integer_path else self._resample(x)
        return self._receive(moved)

    def flush(self) -> ComplexArray:
        """Received samples still held back for the resampler's look-ahead (pads the input with zeros).

        After `flush`, the total output covers every input sample; keep calling `process` afterwards
        only if the stream really continues after a gap of zeros.
        """
        if self._integer_path:
            return np.zeros(0, dtype=np.complex64)
        target = math.floor((self.samples_in + self._delay_samples) / self._rate)  # outputs covering inputs
        out: list[ComplexArray] = []
        while self.samples_out < target:
            block = self._resample(np.zeros(_HALF_TAPS + 1, dtype=np.complex64), target - self.samples_out)
            out.append(self._receive(block))
        return np.concatenate(out) if out else np.zeros(0, dtype=np.complex64)

    def _delay_line(self, x: ComplexArray) -> ComplexArray:
        if self._line.size == 0:
            return x
        joined = np.concatenate((self._line, x))
        self._line = joined[x.size :].copy()
        return joined[: x.size]

    def _resample(self, x: ComplexArray, max_count: int | None = None) -> ComplexArray:
        self._buf = np.concatenate((self._buf, x))
        available_end = self._buf_start + self._buf.size  # one past the last input index held
        # Output n needs input indices up to floor(n*rate - delay) + HALF_TAPS < available_end.
        n_end = math.ceil((available_end - _HALF_TAPS + self._delay_samples) / self._rate) + 1
        n = np.arange(self.samples_out, max(n_end, self.samples_out), dtype=np.float64)
        pos = n * self._rate - self._delay_samples
        base = np.floor(pos)
        keep = base + _HALF_TAPS < available_end
        n, pos, base = n[keep][:max_count], pos[keep][:max_count], base[keep][:max_count]
        if n.size == 0:
            return np.zeros(0, dtype=np.complex64)
        phase = np.rint((pos - base) * _PHASES).astype(np.intp)
        first = base.astype(np.intp) - (_HALF_TAPS - 1) - self._buf_start
        gather = first[:, None] + np.arange(2 * _HALF_TAPS, dtype=np.intp)[None, :]
        y: ComplexArray = np.einsum("ij,ij->i", self._buf[gather], _TABLE[phase]).astype(np.complex64)
        # Drop history no future output needs.
        next_pos = (self.samples_out + n.size) * self._rate - self._delay_samples
        drop = math.floor(next_pos) - (_HALF_TAPS - 1) - self._buf_start - 1
        if drop > 0:
            self._buf = self._buf[drop:]
            self._buf_start += drop
        return y

    def _receive(self, y: ComplexArray) -> ComplexArray:
        """Carrier offset and Doppler ramp on the receiver's time grid, then receiver noise."""
        count = y.size
        if count == 0:
            return y
        fs = self.config.sample_rate_hz
        rate = self.config.doppler_rate_hz_s
        if self._offset_hz != 0.0 or rate != 0.0:
            t = np.arange(count, dtype=np.float64) / fs
            phase = self._phase_rad + 2.0 * np.pi * (self._offset_hz * t + 0.5 * rate * t * t)
            y = (y * np.exp(1j * phase)).astype(np.complex64)
            block_s = count / fs
            self._phase_rad = math.fmod(
                self._phase_rad + 2.0 * math.pi * (self._offset_hz * block_s + 0.5 * rate * block_s**2),
                2.0 * math.pi,
            )
            self._offset_hz += rate * block_s
        if self._noise_sigma > 0.0:
            # Interleaved draws keep the noise stream independent of block partitioning.
            noise = self._rng.standard_normal(2 * count, dtype=np.float32).view(np.complex64)
            y = y + noise * np.float32(self._noise_sigma)
        self.samples_out += count
        return y.astype(np.complex64, copy=False)
