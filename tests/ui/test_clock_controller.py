import sys
from datetime import timedelta

from PySide6.QtCore import QObject, Signal

from groundstation.clock import SimulatedClock, SystemClock
from tests.ui.conftest import T0
from ui.clock_controller import SPEEDS, ClockController


def test_ticks_come_from_the_injected_clock(qtbot, sim_clock):
    controller = ClockController(sim_clock)
    with qtbot.waitSignal(controller.tick, timeout=1000) as blocker:
        controller.start()
    assert blocker.args == [T0]
    sim_clock.step(30.0)
    with qtbot.waitSignal(controller.tick, timeout=1000) as blocker:
        pass  # the display timer delivers the next tick by itself
    assert blocker.args == [T0 + timedelta(seconds=30)]
    controller.stop()


def test_pause_speed_and_jump(qtbot):
    controller = ClockController(SimulatedClock(T0))
    controller.toggle_pause()
    assert controller.paused
    assert controller.describe() == "simulated, paused"
    frozen = controller.now()
    with qtbot.waitSignal(controller.tick) as blocker:
        controller.jump_by(600.0)
    assert blocker.args == [frozen + timedelta(seconds=600)]
    controller.set_speed(60.0)
    assert not controller.paused
    assert controller.describe() == "simulated ×60"
    controller.faster()
    assert controller.speed == SPEEDS[SPEEDS.index(60.0) + 1]
    controller.slower()
    controller.slower()
    assert controller.speed == SPEEDS[SPEEDS.index(60.0) - 1]
    for _ in SPEEDS:
        controller.slower()
    assert controller.speed == SPEEDS[0]


def test_controlling_real_time_continues_from_now_in_simulated_time(qtbot):
    controller = ClockController(SystemClock())
    assert controller.describe() == "real time"
    before = SystemClock().now()
    with qtbot.waitSignal(controller.mode_changed):
        controller.toggle_pause()
    assert controller.simulated
    assert controller.paused
    assert controller.now() >= before
    controller.jump_to(T0)
    assert controller.now() == T0
    with qtbot.waitSignal(controller.mode_changed):
        controller.use_real_time()
    assert not controller.simulated
    assert controller.now() >= before


def test_signal_emit_keeps_reference_counts():
    # PySide6 6.12.0 dropped a reference to True on every Signal.emit, which crashes CPython 3.11
    # after a few thousand emits (bools are not immortal before 3.12). Keep the pin honest.
    class Source(QObject):
        fired = Signal(object)

    source = Source()
    received = []
    source.fired.connect(received.append)
    before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(200):
        source.fired.emit(1)
    assert (sys.getrefcount(True), sys.getrefcount(None)) == before
    assert len(received) == 200
