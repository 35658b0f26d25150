"""AX.25 frames over any `Radio` with the 9600 bd G3RUH FM modem (radios.fm), in both directions.

`send` modulates a burst and hands it to the radio; `receive` takes what the radio has heard and
returns the frames that passed their FCS, each with the Eb/N0 estimated from its own samples.

Two receive pacings: `burst` (default) demodulates whatever one `receive` call reads as a whole
recording (TX-driven sources: the air link, the TX-driven loopback, SigMF files, where every read
returns whole bursts; a fresh demodulator per call keeps the cost proportional to the burst),
`streaming` keeps one demodulator across calls for a live SDR that delivers a continuous stream.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from radios.ax25 import Frame, FrameError
from radios.fm import G3ruhIqDemodulator, G3ruhIqModulator, demodulate_iq
from radios.g3ruh import BAUD_9600, DecodedFrame
from radios.ring import ComplexArray
from radios.sdr import Radio

READ_BLOCK_SAMPLES = 1 << 20
FCS_BYTES = 2
STREAM_HISTORY_S = 4.0  # > the longest frame (2 KB at 9600 bd is ~2 s)


@dataclass(frozen=True)
class ReceivedFrame:
    frame: Frame
    ebn0_db: float | None  # M2M4 estimate over the frame's samples; None when too noisy to tell
    decoder: str
    fixed_bits: int  # bits the decoder flipped to pass the FCS (0: received clean)


def estimate_ebn0_db(iq: ComplexArray, sample_rate_hz: float, bit_rate_bps: float) -> float | None:
    """Eb/N0 of a constant-envelope signal in complex Gaussian noise, from the 2nd and 4th moments
    (M2M4: S = sqrt(2 M2² − M4), N = M2 − S). None when the moments show no signal."""
    if iq.size < 16:
        return None
    power = np.abs(iq.astype(np.complex128)) ** 2
    m2 = float(np.mean(power))
    m4 = float(np.mean(power * power))
    signal = math.sqrt(max(2.0 * m2 * m2 - m4, 0.0))
    noise = m2 - signal
    if signal <= 0.0:
        return None
    if noise <= signal * 1e-6:  # noiseless in practice: cap rather than divide by ~0
        noise = signal * 1e-6
    return 10.0 * math.log10(signal / noise * sample_rate_hz / bit_rate_bps)


class PacketModem:
    def __init__(
        self,
        radio: Radio,
        *,
        baud: float = BAUD_9600,
        preamble_flags: int = 32,
        streaming: bool = False,
        fixed_length: bool = False,
    ) -> None:
        self.radio = radio
        self.baud = baud
        self.sample_rate_hz = radio.settings.sample_rate_hz
        self.modulator = G3ruhIqModulator(
            sample_rate_hz=self.sample_rate_hz, baud=baud, preamble_flags=preamble_flags
        )
        self.streaming = streaming
        # Pad each burst (carrier off) to the longest its frames could stuff to, so its length
        # depends on the frames' sizes only, not on their bits: timing stays reproducible in
        # simulations whatever bytes (randomized signatures) the frames carry.
        self.fixed_length = fixed_length
        self._demodulator = G3ruhIqDemodulator(self.sample_rate_hz, baud) if streaming else None
        # Streaming: the latest samples (absolute index of the first one), for SNR estimates.
        self._history: ComplexArray = np.zeros(0, dtype=np.complex64)
        self._history_start = 0
        self._history_samples = int(STREAM_HISTORY_S * self.sample_rate_hz)
        self.frames_sent = 0
        self.frames_received = 0
        self.frames_unparsable = 0  # passed the FCS but are not AX.25 (counted, dropped)

    def modulate(self, frames: Sequence[Frame]) -> ComplexArray:
        return self.modulator.modulate(list(frames))

    def max_burst_samples(self, frames: Sequence[Frame]) -> int:
        """Samples of the longest burst these frames could make (every 5th bit stuffed)."""
        m = self.modulator
        flag_bits = 8 * (m.preamble_flags + m.gap_flags * max(0, len(frames) - 1) + m.postamble_flags)
        frame_bits = sum((len(f.encode()) + FCS_BYTES) * 8 for f in frames)
        return math.ceil((flag_bits + frame_bits + frame_bits // 5) * self.sample_rate_hz / self.baud)

    def send(self, frames: Sequence[Frame]) -> float:
        """Transmit `frames` as one burst; returns its air time in seconds."""
        iq = self.modulate(frames)
        if self.fixed_length:
            padding = max(0, self.max_burst_samples(frames) - iq.size)
            iq = np.concatenate((iq, np.zeros(padding, np.complex64)))
        self.radio.transmit(iq)
        self.frames_sent += len(frames)
        return iq.size / self.sample_rate_hz

    def _read_all(self) -> ComplexArray:
        parts = []
        while True:
            block = self.radio.read(READ_BLOCK_SAMPLES)
            if block.iq.size == 0:
                break
            parts.append(block.iq)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.complex64)

    def receive(self) -> list[ReceivedFrame]:
        """Frames in what the radio heard since the last call."""
        iq = self._read_all()
        if self._demodulator is None:
            decoded = demodulate_iq(iq, self.sample_rate_hz, self.baud) if iq.size else []
            return self._frames(decoded, iq, 0)
        joined = np.concatenate((self._history, iq))
        drop = max(0, joined.size - self._history_samples)
        self._history = joined[drop:]
        self._history_start += drop
        return self._frames(self._demodulator.process(iq), self._history, self._history_start)

    def flush(self) -> list[ReceivedFrame]:
        """Streaming mode: frames still held by the demodulator (end of a recording or a session)."""
        if self._demodulator is None:
            return []
        return self._frames(self._demodulator.flush(), self._history, self._history_start)

    def _frames(self, decoded: list[DecodedFrame], iq: ComplexArray, offset: int) -> list[ReceivedFrame]:
        out = []
        samples_per_bit = self.sample_rate_hz / self.baud
        for item in decoded:
            try:
                frame = Frame.decode(item.data)
            except FrameError:
                self.frames_unparsable += 1
                continue
            end = item.end_sample - offset
            span = int((len(item.data) + FCS_BYTES) * 8 * samples_per_bit)
            segment = iq[max(0, end - span) : max(0, end)]
            ebn0 = estimate_ebn0_db(segment, self.sample_rate_hz, self.baud)
            out.append(ReceivedFrame(frame, ebn0, item.decoder, item.fixed_bits))
        self.frames_received += len(out)
        return out
