"""A bounded ring of complex samples between an RX thread and its consumer.

Memory is fixed at construction. A live source never waits: when the consumer falls behind the
oldest unread samples are overwritten (latency stays bounded), and every such overrun is counted
with the samples it cost. A file source may instead wait for room (`write(..., wait=True)`), so
replaying a recording loses nothing. Each block read carries the absolute index of its first sample
and how many samples were lost just before it, so consumers can timestamp and detect gaps.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

ComplexArray = npt.NDArray[np.complex64]


@dataclass(frozen=True)
class RxBlock:
    """Samples read from a radio: `iq[0]` is sample number `start_index` since RX started."""

    start_index: int
    iq: ComplexArray
    dropped_before: int = 0

    @property
    def end_index(self) -> int:
        return self.start_index + int(self.iq.size)


@dataclass(frozen=True)
class RingStats:
    capacity_samples: int
    buffered_samples: int
    written_samples: int
    overruns: int
    dropped_samples: int


class SampleRing:
    def __init__(self, capacity_samples: int) -> None:
        if capacity_samples <= 0:
            raise ValueError(f"ring capacity must be > 0 samples, got {capacity_samples}")
        self._buf = np.zeros(capacity_samples, dtype=np.complex64)
        self._capacity = capacity_samples
        self._written = 0  # samples ever written (absolute index of the next sample)
        self._read = 0  # absolute index of the next sample to read
        self._overruns = 0
        self._dropped = 0
        self._dropped_unreported = 0
        self._closed = False
        self._cond = threading.Condition()

    @property
    def capacity_samples(self) -> int:
        return self._capacity

    def stats(self) -> RingStats:
        with self._cond:
            return RingStats(
                self._capacity, self._written - self._read, self._written, self._overruns, self._dropped
            )

    def write(self, iq: npt.ArrayLike, *, wait: bool = False, timeout_s: float | None = None) -> int:
        """Append samples; returns how many were written.

        `wait=False` (live sources): never blocks, overwrites the oldest unread samples and counts an
        overrun. `wait=True` (file sources): blocks until there is room, the ring is closed, or
        `timeout_s` passes; returns the count written so far.
        """
        data = np.asarray(iq, dtype=np.complex64).ravel()
        if not wait:
            with self._cond:
                self._put(data)
                self._cond.notify_all()
            return int(data.size)
        done = 0
        deadline_s = None if timeout_s is None else time.monotonic() + timeout_s
        with self._cond:
            while done < data.size and not self._closed:
                room = self._capacity - (self._written - self._read)
                if room == 0:
                    remaining_s = None if deadline_s is None else deadline_s - time.monotonic()
                    if remaining_s is not None and remaining_s <= 0:
                        break
                    self._cond.wait(remaining_s)
                    continue
                chunk = data[done : done + room]
                self._put(chunk)
                done += chunk.size
                self._cond.notify_all()
        return done

    def _put(self, data: ComplexArray) -> None:
        if data.size > self._capacity:
            skipped = data.size - self._capacity
            self._written += skipped  # those samples existed but never fit
            data = data[skipped:]
        start = self._written % self._capacity
        first = min(data.size, self._capacity - start)
        self._buf[start : start + first] = data[:first]
        self._buf[: data.size - first] = data[first:]
        self._written += data.size
        lost = self._written - self._read - self._capacity
        if lost > 0:
            self._overruns += 1
            self._dropped += lost
            self._dropped_unreported += lost
            self._read += lost

    def read(self, max_samples: int, timeout_s: float = 0.0) -> RxBlock:
        """Up to `max_samples` samples; waits up to `timeout_s` for at least one (0: never waits)."""
        if max_samples <= 0:
            raise ValueError(f"max_samples must be > 0, got {max_samples}")
        with self._cond:
            if timeout_s > 0:
                self._cond.wait_for(lambda: self._written > self._read or self._closed, timeout_s)
            count = min(max_samples, self._written - self._read)
            start = self._read % self._capacity
            first = min(count, self._capacity - start)
            out = np.empty(count, dtype=np.complex64)
            out[:first] = self._buf[start : start + first]
            out[first:] = self._buf[: count - first]
            block = RxBlock(self._read, out, self._dropped_unreported)
            self._read += count
            if count:
                self._dropped_unreported = 0
            self._cond.notify_all()
            return block

    def close(self) -> None:
        """Wake every waiter; later writes with `wait=True` return at once."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def reopen(self) -> None:
        with self._cond:
            self._closed = False
