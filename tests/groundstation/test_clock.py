from datetime import UTC, datetime, timedelta

import pytest

from groundstation.clock import SimulatedClock, SystemClock, require_utc

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_system_clock_is_aware_utc():
    assert SystemClock().now().tzinfo is not None


def test_manual_clock_steps_and_jumps():
    clock = SimulatedClock(T0, speed=0)
    assert clock.now() == T0
    assert clock.step(90) == T0 + timedelta(seconds=90)
    clock.jump(T0 + timedelta(hours=5))
    assert clock.now() == T0 + timedelta(hours=5)


def test_paused_clock_does_not_move():
    clock = SimulatedClock(T0, speed=1000)
    clock.pause()
    first = clock.now()
    assert clock.now() == first
    clock.resume()
    assert clock.now() >= first


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        require_utc(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="speed"):
        SimulatedClock(T0).set_speed(-1)
