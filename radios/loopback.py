"""The loopback radio: what it transmits goes through a `ChannelModel` and comes back as RX.

Two pacings, chosen by configuration:
- TX-driven (default): RX produces exactly the transmitted samples after the channel, followed by
  a short noise tail that lets the channel's delay and resampler run out, and nothing while idle.
  Lossless (the device thread waits for ring space), deterministic, as fast as the CPU allows:
  what the end-to-end tests and the demo use.
- Real time: RX runs continuously at the sample rate (noise between bursts) and overruns like a
  live SDR when the consumer falls behind.
A TX centre frequency away from the RX one (`tune_tx`) shows up as a carrier offset at RX.
"""

from __future__ import annotations

import math
import time

import numpy as np

from radios.channel import ChannelConfig, ChannelModel
from radios.errors import DeviceConfigError
from radios.ring import ComplexArray
from radios.sdr import RadioSettings, StreamingRadio

DEFAULT_BLOCK_SAMPLES = 4096
IDLE_POLL_S = 0.05
# Resampler look-ahead plus margin, in samples, added to the delay for the tail after a burst.
TAIL_MARGIN_SAMPLES = 64


class LoopbackRadio(StreamingRadio):
    def __init__(
        self,
        settings: RadioSettings,
        channel: ChannelConfig | None = None,
        *,
        realtime: bool = False,
        block_samples: int = DEFAULT_BLOCK_SAMPLES,
    ) -> None:
        if channel is None:
            channel = ChannelConfig(sample_rate_hz=settings.sample_rate_hz)
        elif channel.sample_rate_hz != settings.sample_rate_hz:
            raise DeviceConfigError(
                f"loopback: channel sample rate {channel.sample_rate_hz:g} Hz differs from the radio's "
                f"{settings.sample_rate_hz:g} Hz"
            )
        if block_samples <= 0:
            raise DeviceConfigError(f"loopback: block_samples must be > 0, got {block_samples}")
        super().__init__("loopback:", settings)
        self.channel_config = channel
        self.realtime = realtime
        self.block_samples = block_samples
        self._channel = ChannelModel(channel)
        self._tx_phase_rad = 0.0
        self._tx_time_samples = 0
        self._gain = 1.0
        self._tail_samples = math.ceil(channel.delay_s * channel.sample_rate_hz) + TAIL_MARGIN_SAMPLES
        self._produced = 0
        self._t0_s = 0.0

    def _apply_gain(self, gain_db: float) -> None:
        self._gain = 10.0 ** (gain_db / 20.0)

    def _start_device(self) -> None:
        self._produced = 0
        self._t0_s = time.monotonic()

    def _shift_tx(self, x: ComplexArray) -> ComplexArray:
        """Mix by the TX-minus-RX tuning difference, phase-continuous across blocks."""
        offset_hz = self.tx_frequency_hz - self.settings.frequency_hz
        if offset_hz == 0.0 or x.size == 0:
            return x
        step = 2.0 * math.pi * offset_hz / self.settings.sample_rate_hz
        phase = self._tx_phase_rad + step * np.arange(x.size)
        self._tx_phase_rad = float((self._tx_phase_rad + step * x.size) % (2.0 * math.pi))
        shifted: ComplexArray = (x * np.exp(1j * phase)).astype(np.complex64)
        return shifted

    def _emit(self, x: ComplexArray) -> None:
        y = self._channel.process(self._shift_tx(x))
        if self._gain != 1.0:
            y = (y * self._gain).astype(np.complex64)
        if self.realtime:
            self.ring.write(y)
        else:
            self.ring.write(y, wait=True)  # returns early only when the radio stops

    def _run_once(self) -> bool:
        if self.realtime:
            return self._run_realtime()
        x = self.tx.take(self.block_samples, timeout_s=IDLE_POLL_S)
        if x.size == 0:
            return True
        self._emit(x)
        if self.tx.queued == 0:
            # End of a burst: let the delayed and resampled tail out before reporting it sent.
            self._emit(np.zeros(self._tail_samples, dtype=np.complex64))
        self.tx.done(x.size)
        return True

    def _run_realtime(self) -> bool:
        due_s = self._t0_s + self._produced / self.settings.sample_rate_hz
        wait_s = due_s - time.monotonic()
        if wait_s > 0 and self._stop.wait(wait_s):
            return False
        x = self.tx.take(self.block_samples)
        block = np.zeros(self.block_samples, dtype=np.complex64)
        block[: x.size] = x
        self._emit(block)
        self.tx.done(x.size)
        self._produced += self.block_samples
        return True
