"""The one clock every view follows: real time, or simulated time with pause, speed-up and jump.

Wraps `groundstation.clock.SystemClock` / `SimulatedClock` and emits `tick(now)` at display rate
(not per sample); views redraw on ticks, so they all show the same instant.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QObject, QTimer, Signal

from groundstation.clock import Clock, SimulatedClock, SystemClock

DISPLAY_INTERVAL_MS = 50  # 20 ticks per second: smooth, and well above the map's 10 fps goal
SPEEDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


class ClockController(QObject):
    tick = Signal(object)  # datetime: the instant every view shows
    mode_changed = Signal()  # real/simulated, paused, speed

    def __init__(self, clock: Clock | None = None, interval_ms: int = DISPLAY_INTERVAL_MS) -> None:
        super().__init__()
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.emit_tick)

    # State --------------------------------------------------------------------------------
    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def simulated(self) -> bool:
        return isinstance(self._clock, SimulatedClock)

    @property
    def paused(self) -> bool:
        return isinstance(self._clock, SimulatedClock) and self._clock.paused

    @property
    def speed(self) -> float:
        return self._clock.speed if isinstance(self._clock, SimulatedClock) else 1.0

    def now(self) -> datetime:
        return self._clock.now()

    def describe(self) -> str:
        """Short text for the status bar: 'real time', 'simulated ×60', 'simulated, paused'."""
        if not self.simulated:
            return "real time"
        if self.paused:
            return "simulated, paused"
        return f"simulated ×{self.speed:g}"

    # Running ------------------------------------------------------------------------------
    def start(self) -> None:
        self._timer.start()
        self.emit_tick()

    def stop(self) -> None:
        self._timer.stop()

    def emit_tick(self) -> None:
        self.tick.emit(self._clock.now())

    # Control ------------------------------------------------------------------------------
    def _simulated(self) -> SimulatedClock:
        # Any control of time leaves real time: continue from the instant shown now.
        if not isinstance(self._clock, SimulatedClock):
            self._clock = SimulatedClock(self._clock.now())
        return self._clock

    def _changed(self) -> None:
        self.mode_changed.emit()
        self.emit_tick()

    def use_real_time(self) -> None:
        self._clock = SystemClock()
        self._changed()

    def use_simulated(self, start: datetime, speed: float = 1.0, paused: bool = False) -> None:
        self._clock = SimulatedClock(start, speed)
        if paused:
            self._clock.pause()
        self._changed()

    def toggle_pause(self) -> None:
        clock = self._simulated()
        if clock.paused:
            clock.resume()
        else:
            clock.pause()
        self._changed()

    def set_speed(self, speed: float) -> None:
        clock = self._simulated()
        clock.set_speed(speed)
        if clock.paused:
            clock.resume()
        self._changed()

    def faster(self) -> None:
        self.set_speed(next((s for s in SPEEDS if s > self.speed), SPEEDS[-1]))

    def slower(self) -> None:
        self.set_speed(next((s for s in reversed(SPEEDS) if s < self.speed), SPEEDS[0]))

    def jump_to(self, moment: datetime) -> None:
        self._simulated().jump(moment)
        self._changed()

    def jump_by(self, seconds: float) -> None:
        clock = self._simulated()
        clock.jump(clock.now() + timedelta(seconds=seconds))
        self._changed()
