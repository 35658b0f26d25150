"""The operations worker: the demo simulation runs forward in slices, so stopping never waits for
a whole catch-up."""

from datetime import timedelta

from tests.ui.conftest import T0
from ui.operations import ADVANCE_SLICE, Operations

# Long enough that the catch-up (~2 s CPU per simulated hour) is still running when we stop it.
LONG_HISTORY = timedelta(hours=6)


def test_shutdown_during_the_catch_up_stops_at_the_next_slice(qtbot, isolated_dirs):
    operations = Operations()
    operations.start_demo(T0, history=LONG_HISTORY)
    qtbot.waitUntil(lambda: operations._simulation is not None, timeout=10_000)
    simulation = operations._simulation
    start = T0 - LONG_HISTORY
    qtbot.waitUntil(lambda: simulation.now >= start + ADVANCE_SLICE, timeout=10_000)
    operations.shutdown()
    assert start + ADVANCE_SLICE <= simulation.now < T0  # stopped part way, on a slice boundary
    assert (simulation.now - start) % ADVANCE_SLICE == timedelta(0)
    assert not operations.simulated


def test_following_the_clock_reaches_the_tick_slice_by_slice(qtbot, isolated_dirs):
    operations = Operations()
    with qtbot.waitSignal(operations.simulation_ready, timeout=30_000):
        operations.start_demo(T0, history=timedelta(minutes=3))
    later = T0 + ADVANCE_SLICE * 2.5
    with qtbot.waitSignal(operations.caught_up, timeout=30_000) as blocker:
        operations.follow(later)
    assert blocker.args == [later]
    operations.shutdown()
