"""The air between radios: a burst one `AirRadio` transmits reaches the others through a `ChannelModel`
configured, burst by burst, by a `PathModel` (free-space loss, Doppler, noise from whatever geometry
the caller has), or does not reach them at all.

The loopback radio's two-ended form, for simulations where a ground station and a spacecraft each
run their own radio code: both sides hold an `AirRadio`, which implements the same `Radio` protocol
as hardware (tune, tune_tx, transmit, read, ...), so the code above them is the code that runs on a
real SDR. Pacing is TX-driven and synchronous: `transmit` passes the burst through the channel at
once and queues it at each receiver whose RX is running, with a short noise-only guard on either
side (the demodulator's filters and clock need a little context). Nothing arrives while no one
transmits, and nothing arrives where the path model says there is no path (below the horizon,
antenna pointed elsewhere): the receiver then hears nothing at all.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt

from radios.channel import ChannelConfig, ChannelModel
from radios.errors import DeviceConfigError, DeviceError
from radios.ring import ComplexArray, RxBlock
from radios.sdr import RadioSettings, RadioStats

DEFAULT_GUARD_S = 0.005


class PathModel(Protocol):
    """What the air does to one burst from `transmitter` to `receiver`, now; None: no path."""

    def channel(
        self,
        transmitter: str,
        receiver: str,
        tx_frequency_hz: float,
        rx_frequency_hz: float,
        sample_rate_hz: float,
    ) -> ChannelConfig | None: ...


@dataclass(frozen=True)
class Delivery:
    """One burst heard by one receiver (for observers and counters)."""

    transmitter: str
    receiver: str
    samples: int
    channel: ChannelConfig


class AirLink:
    """The shared medium. Create radios with `radio(name, settings)`; they hear each other."""

    def __init__(self, path: PathModel, *, guard_s: float = DEFAULT_GUARD_S) -> None:
        if not (math.isfinite(guard_s) and guard_s >= 0):
            raise DeviceConfigError(f"air link: guard_s must be >= 0, got {guard_s!r}")
        self.path = path
        self.guard_s = guard_s
        self._radios: dict[str, AirRadio] = {}
        self._lock = threading.Lock()
        self.deliveries = 0
        self.blocked = 0  # bursts that found no path to a listening receiver

    def radio(self, name: str, settings: RadioSettings) -> AirRadio:
        with self._lock:
            if name in self._radios:
                raise DeviceConfigError(f"air link: a radio named {name!r} already exists")
            radio = AirRadio(self, name, settings)
            self._radios[name] = radio
            return radio

    def radios(self) -> tuple[AirRadio, ...]:
        with self._lock:
            return tuple(self._radios.values())

    def _carry(self, source: AirRadio, iq: ComplexArray) -> list[Delivery]:
        delivered: list[Delivery] = []
        for receiver in self.radios():
            if receiver is source or not receiver.listening:
                continue
            if receiver.settings.sample_rate_hz != source.settings.sample_rate_hz:
                raise DeviceConfigError(
                    f"air link: {source.name} runs at {source.settings.sample_rate_hz:g} Hz, "
                    f"{receiver.name} at {receiver.settings.sample_rate_hz:g} Hz"
                )
            config = self.path.channel(
                source.name,
                receiver.name,
                source.tx_frequency_hz,
                receiver.settings.frequency_hz,
                source.settings.sample_rate_hz,
            )
            if config is None:
                self.blocked += 1
                continue
            if config.sample_rate_hz != source.settings.sample_rate_hz:
                config = replace(config, sample_rate_hz=source.settings.sample_rate_hz)
            guard = np.zeros(round(self.guard_s * config.sample_rate_hz), dtype=np.complex64)
            channel = ChannelModel(config)
            heard = np.concatenate((channel.process(np.concatenate((guard, iq, guard))), channel.flush()))
            receiver._deliver(heard)
            self.deliveries += 1
            delivered.append(Delivery(source.name, receiver.name, int(heard.size), config))
        return delivered


class AirRadio:
    """One end of an `AirLink`, behind the `Radio` protocol. Every call returns at once."""

    def __init__(self, link: AirLink, name: str, settings: RadioSettings) -> None:
        self._link = link
        self._name = name
        self._settings = settings
        self._tx_frequency_hz = settings.frequency_hz
        self._gain = 10.0 ** (settings.gain_db / 20.0)
        self._opened = False
        self._listening = False
        self._pending: deque[ComplexArray] = deque()
        self._lock = threading.Lock()
        self._next_index = 0
        self._received = 0
        self._transmitted = 0
        self._rx_started_at: datetime | None = None
        self.last_deliveries: tuple[Delivery, ...] = ()

    @property
    def name(self) -> str:
        return self._name

    @property
    def settings(self) -> RadioSettings:
        return self._settings

    @property
    def tx_frequency_hz(self) -> float:
        return self._tx_frequency_hz

    @property
    def listening(self) -> bool:
        return self._opened and self._listening

    def open(self) -> None:
        self._opened = True

    def _check_open(self) -> None:
        if not self._opened:
            raise DeviceError(f"air:{self._name}: not open (call open() first)")

    @staticmethod
    def _valid(frequency_hz: float, name: str) -> None:
        if not (math.isfinite(frequency_hz) and frequency_hz > 0):
            raise DeviceConfigError(f"air:{name}: frequency {frequency_hz!r} Hz is not a valid frequency")

    def tune(self, frequency_hz: float) -> None:
        self._valid(frequency_hz, self._name)
        self._settings = replace(self._settings, frequency_hz=frequency_hz)
        self._tx_frequency_hz = frequency_hz

    def tune_tx(self, frequency_hz: float) -> None:
        self._valid(frequency_hz, self._name)
        self._tx_frequency_hz = frequency_hz

    def set_gain(self, gain_db: float) -> None:
        if not math.isfinite(gain_db):
            raise DeviceConfigError(f"air:{self._name}: gain {gain_db!r} dB is not a number")
        self._settings = replace(self._settings, gain_db=gain_db)
        self._gain = 10.0 ** (gain_db / 20.0)

    def start_rx(self, started_at: datetime | None = None) -> None:
        self._check_open()
        self._listening = True
        self._rx_started_at = started_at

    def stop_rx(self) -> None:
        self._listening = False
        with self._lock:
            self._pending.clear()

    def _deliver(self, iq: ComplexArray) -> None:
        if self._gain != 1.0:
            iq = (iq * np.float32(self._gain)).astype(np.complex64)
        with self._lock:
            self._pending.append(iq)
            self._received += int(iq.size)

    def read(self, max_samples: int, timeout_s: float = 0.0) -> RxBlock:
        """Samples heard so far, oldest first (never waits: bursts arrive inside `transmit`)."""
        if max_samples <= 0:
            raise ValueError(f"max_samples must be > 0, got {max_samples}")
        parts: list[ComplexArray] = []
        wanted = max_samples
        with self._lock:
            while wanted > 0 and self._pending:
                head = self._pending[0]
                if head.size <= wanted:
                    parts.append(self._pending.popleft())
                    wanted -= head.size
                else:
                    parts.append(head[:wanted])
                    self._pending[0] = head[wanted:]
                    wanted = 0
            iq = np.concatenate(parts) if parts else np.zeros(0, dtype=np.complex64)
            block = RxBlock(self._next_index, iq)
            self._next_index += int(iq.size)
        return block

    def transmit(self, iq: npt.ArrayLike) -> None:
        self._check_open()
        data = np.asarray(iq, dtype=np.complex64).ravel()
        self._transmitted += int(data.size)
        self.last_deliveries = tuple(self._link._carry(self, data))

    def wait_tx_done(self, timeout_s: float) -> bool:
        return True

    def stats(self) -> RadioStats:
        with self._lock:
            buffered = sum(int(b.size) for b in self._pending)
        return RadioStats(
            samples_received=self._received,
            overruns=0,
            dropped_samples=0,
            buffered_samples=buffered,
            samples_transmitted=self._transmitted,
            tx_queued_samples=0,
            rx_started_at=self._rx_started_at,
        )

    def close(self) -> None:
        self.stop_rx()
        self._opened = False
