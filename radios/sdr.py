"""SDR devices behind one small `Radio` protocol, and the threaded streaming they share.

A radio's RX runs in its own thread into a bounded `SampleRing`; `read` takes what is there (or
waits only as long as asked), so a GUI thread never blocks. `transmit` queues samples and returns
at once; the device thread sends them. Backends: SoapySDR hardware (`radios.soapy`), the loopback
channel (`radios.loopback`) and SigMF recordings (`radios.sigmf_io`).
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

from radios.errors import DeviceConfigError, DeviceError
from radios.ring import ComplexArray, RxBlock, SampleRing

DEFAULT_RING_SECONDS = 2.0
DEFAULT_TX_QUEUE_SECONDS = 10.0
THREAD_JOIN_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class RadioSettings:
    """How to run an SDR: sample rate, centre frequency, gain and buffer sizes (seconds of samples)."""

    sample_rate_hz: float
    frequency_hz: float
    gain_db: float = 0.0
    rx_buffer_s: float = DEFAULT_RING_SECONDS
    tx_queue_s: float = DEFAULT_TX_QUEUE_SECONDS

    def __post_init__(self) -> None:
        for name in ("sample_rate_hz", "frequency_hz", "rx_buffer_s", "tx_queue_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise DeviceConfigError(f"radio settings: {name} must be a positive number, got {value!r}")
        if not math.isfinite(self.gain_db):
            raise DeviceConfigError(f"radio settings: gain_db must be finite, got {self.gain_db!r}")

    @property
    def rx_buffer_samples(self) -> int:
        return max(1, round(self.rx_buffer_s * self.sample_rate_hz))

    @property
    def tx_queue_samples(self) -> int:
        return max(1, round(self.tx_queue_s * self.sample_rate_hz))


@dataclass(frozen=True)
class RadioStats:
    """Counters a status panel shows; `overruns` > 0 means the consumer fell behind and lost samples."""

    samples_received: int
    overruns: int
    dropped_samples: int
    buffered_samples: int
    samples_transmitted: int
    tx_queued_samples: int
    rx_started_at: datetime | None


class Radio(Protocol):
    """One SDR. Every method returns promptly; RX and TX happen on the device's own thread."""

    @property
    def name(self) -> str: ...

    @property
    def settings(self) -> RadioSettings: ...

    def open(self) -> None:
        """Acquire the device and apply the settings; `DeviceError` with a clear message if it can't."""
        ...

    def tune(self, frequency_hz: float) -> None:
        """Centre frequency for RX and TX (simplex)."""
        ...

    def tune_tx(self, frequency_hz: float) -> None:
        """TX centre frequency alone (split operation, uplink Doppler)."""
        ...

    def set_gain(self, gain_db: float) -> None: ...

    def start_rx(self, started_at: datetime | None = None) -> None:
        """Start the RX thread; `started_at` (from the caller's clock) stamps sample 0."""
        ...

    def read(self, max_samples: int, timeout_s: float = 0.0) -> RxBlock:
        """Samples received so far (up to `max_samples`); waits at most `timeout_s` for some."""
        ...

    def transmit(self, iq: npt.ArrayLike) -> None:
        """Queue samples for transmission; raises `DeviceError` at once if the queue is full."""
        ...

    def wait_tx_done(self, timeout_s: float) -> bool:
        """True once every queued sample has gone out (and, on loopback, come back as RX)."""
        ...

    def stats(self) -> RadioStats: ...

    def close(self) -> None: ...


class TxQueue:
    """Bounded FIFO of samples to transmit, fed in bursts and drained in blocks."""

    def __init__(self, capacity_samples: int) -> None:
        self._capacity = capacity_samples
        self._blocks: deque[ComplexArray] = deque()
        self._queued = 0
        self._cond = threading.Condition()
        self.sent = 0
        self.in_flight = 0  # samples taken but not yet fully sent

    @property
    def queued(self) -> int:
        return self._queued

    def put(self, iq: npt.ArrayLike, name: str) -> None:
        data = np.asarray(iq, dtype=np.complex64).ravel().copy()
        with self._cond:
            if self._queued + data.size > self._capacity:
                raise DeviceError(
                    f"{name}: TX queue full ({self._queued} of {self._capacity} samples queued, "
                    f"{data.size} more offered)"
                )
            self._blocks.append(data)
            self._queued += data.size
            self._cond.notify_all()

    def take(self, max_samples: int, timeout_s: float = 0.0) -> ComplexArray:
        """Up to `max_samples` queued samples (empty if none arrived within `timeout_s`)."""
        with self._cond:
            if timeout_s > 0:
                self._cond.wait_for(lambda: self._queued > 0, timeout_s)
            parts: list[ComplexArray] = []
            wanted = max_samples
            while wanted > 0 and self._blocks:
                head = self._blocks[0]
                if head.size <= wanted:
                    parts.append(self._blocks.popleft())
                    wanted -= head.size
                else:
                    parts.append(head[:wanted])
                    self._blocks[0] = head[wanted:]
                    wanted = 0
            taken = max_samples - wanted
            self._queued -= taken
            self.in_flight += taken
            return np.concatenate(parts) if parts else np.zeros(0, dtype=np.complex64)

    def done(self, count: int) -> None:
        with self._cond:
            self.in_flight -= count
            self.sent += count
            self._cond.notify_all()

    def wait_empty(self, timeout_s: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._queued == 0 and self.in_flight == 0, timeout_s)

    def clear(self) -> None:
        with self._cond:
            self._blocks.clear()
            self._queued = 0
            self.in_flight = 0
            self._cond.notify_all()


class StreamingRadio:
    """Shared machinery: the RX thread, the ring, the TX queue and the counters.

    A backend implements `_open_device`, `_apply_frequency`, `_apply_tx_frequency`, `_apply_gain`,
    `_start_device`, `_run_once` (one step of the device thread: move one block, return False to
    end), `_stop_device` and `_close_device`.
    """

    def __init__(self, name: str, settings: RadioSettings) -> None:
        self._name = name
        self._settings = settings
        self._tx_frequency_hz = settings.frequency_hz
        self.ring = SampleRing(settings.rx_buffer_samples)
        self.tx = TxQueue(settings.tx_queue_samples)
        self._opened = False
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._rx_started_at: datetime | None = None
        self._failure: DeviceError | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def settings(self) -> RadioSettings:
        return self._settings

    @property
    def tx_frequency_hz(self) -> float:
        return self._tx_frequency_hz

    def _check_open(self) -> None:
        if not self._opened:
            raise DeviceError(f"{self._name}: not open (call open() first)")

    def open(self) -> None:
        if self._opened:
            return
        self._open_device()
        self._opened = True
        self._apply_frequency(self._settings.frequency_hz)
        self._apply_tx_frequency(self._tx_frequency_hz)
        self._apply_gain(self._settings.gain_db)

    def tune(self, frequency_hz: float) -> None:
        self._validate_frequency(frequency_hz)
        if self._opened:  # applied first: a refused frequency leaves the settings as they were
            self._apply_frequency(frequency_hz)
            self._apply_tx_frequency(frequency_hz)
        self._settings = replace(self._settings, frequency_hz=frequency_hz)
        self._tx_frequency_hz = frequency_hz

    def tune_tx(self, frequency_hz: float) -> None:
        self._validate_frequency(frequency_hz)
        if self._opened:
            self._apply_tx_frequency(frequency_hz)
        self._tx_frequency_hz = frequency_hz

    def set_gain(self, gain_db: float) -> None:
        if not math.isfinite(gain_db):
            raise DeviceConfigError(f"{self._name}: gain {gain_db!r} dB is not a number")
        if self._opened:
            self._apply_gain(gain_db)
        self._settings = replace(self._settings, gain_db=gain_db)

    def _validate_frequency(self, frequency_hz: float) -> None:
        if not (math.isfinite(frequency_hz) and frequency_hz > 0):
            raise DeviceConfigError(f"{self._name}: frequency {frequency_hz!r} Hz is not a valid frequency")

    def start_rx(self, started_at: datetime | None = None) -> None:
        self._check_open()
        if self._thread is not None and self._thread.is_alive():
            return
        self._start_device()
        self._rx_started_at = started_at
        self._stop.clear()
        self.ring.reopen()
        self._failure = None
        self._thread = threading.Thread(target=self._run, name=f"radio {self._name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set() and self._run_once():
                pass
        except DeviceError as exc:
            self._failure = exc
        except Exception as exc:  # a fault in the device thread is reported by read(), not lost
            self._failure = DeviceError(f"{self._name}: RX thread stopped: {type(exc).__name__}: {exc}")
        finally:
            self.ring.close()

    def read(self, max_samples: int, timeout_s: float = 0.0) -> RxBlock:
        block = self.ring.read(max_samples, timeout_s)
        if block.iq.size == 0 and self._failure is not None:
            raise self._failure
        return block

    def transmit(self, iq: npt.ArrayLike) -> None:
        self._check_open()
        self.tx.put(iq, self._name)

    def wait_tx_done(self, timeout_s: float) -> bool:
        return self.tx.wait_empty(timeout_s)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stats(self) -> RadioStats:
        ring = self.ring.stats()
        return RadioStats(
            samples_received=ring.written_samples,
            overruns=ring.overruns,
            dropped_samples=ring.dropped_samples,
            buffered_samples=ring.buffered_samples,
            samples_transmitted=self.tx.sent,
            tx_queued_samples=self.tx.queued,
            rx_started_at=self._rx_started_at,
        )

    def stop_rx(self) -> None:
        self._stop.set()
        self.ring.close()
        if self._thread is not None:
            self._thread.join(THREAD_JOIN_TIMEOUT_S)
            self._thread = None
        if self._opened:
            self._stop_device()

    def close(self) -> None:
        self.stop_rx()
        self.tx.clear()
        if self._opened:
            self._opened = False
            self._close_device()

    # Backend hooks; the defaults suit devices with nothing to do at that step.
    def _open_device(self) -> None:
        """Acquire the device."""

    def _apply_frequency(self, frequency_hz: float) -> None:
        """Retune RX."""

    def _apply_tx_frequency(self, frequency_hz: float) -> None:
        """Retune TX."""

    def _apply_gain(self, gain_db: float) -> None:
        """Set the gain."""

    def _start_device(self) -> None:
        """Start streaming."""

    def _run_once(self) -> bool:
        """Move one block between the device and the ring/TX queue; False ends the thread."""
        raise NotImplementedError(f"{type(self).__name__} must implement _run_once")

    def _stop_device(self) -> None:
        """Stop streaming."""

    def _close_device(self) -> None:
        """Release the device."""
