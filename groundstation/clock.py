"""Injected time: core code asks a Clock, so the same code runs live, simulated and in tests."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...


class SystemClock:
    """Wall-clock UTC. The only place in the core that reads the system time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def require_utc(moment: datetime, what: str = "time") -> datetime:
    """Return `moment` as aware UTC; naive datetimes are refused (they hide bugs)."""
    if moment.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware (got naive {moment.isoformat()})")
    return moment.astimezone(UTC)


@dataclass
class SimulatedClock:
    """Simulated time: starts at `start`, runs at `speed` times real time, can pause and jump.

    `speed=0` with `step()` gives fully manual time for tests and as-fast-as-possible simulations.
    """

    start: datetime
    speed: float = 1.0

    def __post_init__(self) -> None:
        self.start = require_utc(self.start, "start")
        self._lock = threading.Lock()
        self._sim_anchor = self.start
        self._real_anchor = time.monotonic()
        self._paused = False

    def now(self) -> datetime:
        with self._lock:
            if self._paused or self.speed == 0:
                return self._sim_anchor
            elapsed_s = (time.monotonic() - self._real_anchor) * self.speed
            return self._sim_anchor + timedelta(seconds=elapsed_s)

    def _rebase(self) -> None:
        # Caller holds the lock; freeze the current simulated time as the new anchor.
        if not (self._paused or self.speed == 0):
            elapsed_s = (time.monotonic() - self._real_anchor) * self.speed
            self._sim_anchor += timedelta(seconds=elapsed_s)
        self._real_anchor = time.monotonic()

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        with self._lock:
            self._rebase()
            self._paused = True

    def resume(self) -> None:
        with self._lock:
            self._rebase()
            self._paused = False

    def set_speed(self, speed: float) -> None:
        if speed < 0:
            raise ValueError(f"speed must be >= 0, got {speed}")
        with self._lock:
            self._rebase()
            self.speed = speed

    def jump(self, moment: datetime) -> None:
        with self._lock:
            self._sim_anchor = require_utc(moment, "jump target")
            self._real_anchor = time.monotonic()

    def step(self, seconds: float) -> datetime:
        """Advance simulated time by `seconds` (works paused or at speed 0)."""
        with self._lock:
            self._rebase()
            self._sim_anchor += timedelta(seconds=seconds)
            return self._sim_anchor
