"""What the radio panel shows, without Qt: the RX stream's power spectrum and waterfall, the frames
decoded from it as they arrive, and the Doppler-corrected frequencies of the selected node.

`RxMonitor.step()` takes whatever the radio has received since the last call (never waits), so a
worker can call it at display rate: every sample goes to the spectrum analyser AND to a streaming
`PacketModem` (the G3RUH FM modem and AX.25 parser the station uses) through a one-block source,
so the panel decodes exactly what it draws.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from radios.packet_modem import PacketModem, ReceivedFrame
from radios.ring import ComplexArray, RxBlock
from radios.sdr import Radio, RadioSettings, RadioStats
from tracking.elements import Elements
from tracking.geometry import GroundLocation
from tracking.look import downlink_frequency_hz, look_angles, uplink_frequency_hz
from tracking.propagation import Propagator

FloatArray = npt.NDArray[np.float64]
FFT_SIZE = 1024
SPECTRUM_AVERAGES = 8  # spectra averaged for the trace (the waterfall shows each one)
WATERFALL_ROWS = 200
MAX_READ_SAMPLES = 1 << 20
FLOOR_DB = -160.0  # log of zero power


class SpectrumAnalyzer:
    """Hann-windowed power spectra of consecutive non-overlapping FFT_SIZE blocks, as a fraction
    of full scale per bin (the periodogram scipy.signal.welch calls 'spectrum' scaling), centred on
    0 Hz; the trace is the mean of the last SPECTRUM_AVERAGES spectra, the waterfall keeps each."""

    def __init__(
        self, sample_rate_hz: float, fft_size: int = FFT_SIZE, averages: int = SPECTRUM_AVERAGES
    ) -> None:
        self.sample_rate_hz = sample_rate_hz
        self.fft_size = fft_size
        # The periodic ("DFT-even") Hann window, as spectral estimators use.
        self._window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(fft_size) / fft_size)
        self._scale = 1.0 / np.sum(self._window) ** 2
        self._pending = np.zeros(0, dtype=np.complex64)
        self._recent: deque[FloatArray] = deque(maxlen=averages)
        self.waterfall = np.full((WATERFALL_ROWS, fft_size), FLOOR_DB, dtype=np.float32)  # newest last
        self.spectra = 0

    @property
    def offsets_hz(self) -> FloatArray:
        return np.fft.fftshift(np.fft.fftfreq(self.fft_size, 1.0 / self.sample_rate_hz))

    def feed(self, iq: ComplexArray) -> int:
        """Add samples; returns how many new spectra they completed."""
        data = np.concatenate((self._pending, np.asarray(iq, dtype=np.complex64)))
        count = data.size // self.fft_size
        self._pending = data[count * self.fft_size :]
        if count == 0:
            return 0
        blocks = data[: count * self.fft_size].reshape(count, self.fft_size).astype(np.complex128)
        power = np.abs(np.fft.fft(blocks * self._window, axis=1)) ** 2 * self._scale
        power = np.fft.fftshift(power, axes=1)
        for row in power:
            self._recent.append(row)
        rows = 10.0 * np.log10(np.maximum(power, 10 ** (FLOOR_DB / 10)))
        keep = min(count, WATERFALL_ROWS)
        self.waterfall = np.roll(self.waterfall, -keep, axis=0)
        self.waterfall[-keep:] = rows[-keep:]
        self.spectra += count
        return count

    def trace_db(self) -> FloatArray:
        if not self._recent:
            return np.full(self.fft_size, FLOOR_DB)
        mean = np.mean(np.stack(list(self._recent)), axis=0)
        return np.asarray(10.0 * np.log10(np.maximum(mean, 10 ** (FLOOR_DB / 10))), dtype=np.float64)


class _OneBlock:
    """A `Radio` whose `read` hands out one block of samples once: lets PacketModem decode samples
    the monitor has already taken from the real radio."""

    def __init__(self, settings: RadioSettings) -> None:
        self.settings = settings
        self.name = "monitor"
        self._iq: ComplexArray = np.zeros(0, dtype=np.complex64)

    def load(self, iq: ComplexArray) -> None:
        self._iq = iq

    def read(self, max_samples: int, timeout_s: float = 0.0) -> RxBlock:
        iq, self._iq = self._iq[:max_samples], self._iq[max_samples:]
        return RxBlock(0, iq)


@dataclass(frozen=True, eq=False)
class RxUpdate:
    centre_hz: float
    frequency_hz: FloatArray  # absolute, one per bin
    trace_db: FloatArray
    waterfall_db: npt.NDArray[np.float32]  # (rows, bins), newest row last
    frames: tuple[ReceivedFrame, ...]
    samples: int  # read in this step
    stats: RadioStats


class RxMonitor:
    def __init__(self, radio: Radio) -> None:
        self.radio = radio
        settings = radio.settings
        self.analyzer = SpectrumAnalyzer(settings.sample_rate_hz)
        self._source = _OneBlock(settings)
        self.modem = PacketModem(self._source, streaming=True)  # type: ignore[arg-type]
        self.frames_total = 0

    @property
    def centre_hz(self) -> float:
        """Where the radio is tuned now (whoever tuned it: the panel, or an engaged session)."""
        return self.radio.settings.frequency_hz

    def tune(self, frequency_hz: float) -> None:
        self.radio.tune(frequency_hz)

    def step(self) -> RxUpdate:
        block = self.radio.read(MAX_READ_SAMPLES)
        iq = block.iq
        frames: list[ReceivedFrame] = []
        if iq.size:
            self.analyzer.feed(iq)
            self._source.load(iq)
            frames = self.modem.receive()
            self.frames_total += len(frames)
        centre_hz = self.centre_hz
        return RxUpdate(
            centre_hz=centre_hz,
            frequency_hz=centre_hz + self.analyzer.offsets_hz,
            trace_db=self.analyzer.trace_db(),
            waterfall_db=self.analyzer.waterfall.copy(),
            frames=tuple(frames),
            samples=int(iq.size),
            stats=self.radio.stats(),
        )


@dataclass(frozen=True)
class DopplerView:
    """The selected node seen from the station: where to listen and where to transmit."""

    node: str
    range_rate_m_s: float
    elevation_deg: float
    downlink_hz: float  # what the station hears for the node's nominal downlink
    uplink_hz: float  # what to transmit so the node hears its nominal uplink

    def text(self, nominal_down_hz: float, nominal_up_hz: float) -> str:
        down = self.downlink_hz - nominal_down_hz
        up = self.uplink_hz - nominal_up_hz
        where = (
            f"{self.node}: range rate {self.range_rate_m_s / 1000:+.3f} km/s, el {self.elevation_deg:.1f}°"
        )
        rx = f"RX {self.downlink_hz / 1e6:.6f} MHz ({down:+,.0f} Hz)"
        tx = f"TX {self.uplink_hz / 1e6:.6f} MHz ({up:+,.0f} Hz)"
        return f"{where}\n{rx}   {tx}"


def doppler_view(
    element: Elements, station: GroundLocation, moment: datetime, downlink_hz: float, uplink_hz: float
) -> DopplerView:
    look = look_angles(Propagator([element]).propagate(moment), station)
    rate = float(look.range_rate_m_s[0, 0])
    if not math.isfinite(rate):
        rate = 0.0
    return DopplerView(
        node=element.name,
        range_rate_m_s=rate,
        elevation_deg=float(look.elevation_deg[0, 0]),
        downlink_hz=float(downlink_frequency_hz(downlink_hz, rate)),
        uplink_hz=float(uplink_frequency_hz(uplink_hz, rate)),
    )


def frame_line(received: ReceivedFrame, moment: datetime) -> str:
    frame = received.frame
    ebn0 = "—" if received.ebn0_db is None else f"{received.ebn0_db:.1f} dB"
    info = frame.info[:40]
    text = info.decode("ascii", "replace") if all(32 <= b < 127 for b in info) else info.hex()
    return (
        f"{moment:%H:%M:%S}Z  {frame.source}>{frame.destination}  {len(frame.info)} B  Eb/N0 {ebn0}  {text}"
    )
