"""The app's operations back end on one worker thread: the simulated demo fleet (nodes, stations,
air link, telemetry archive, alarms, command lifecycle: `groundstation.sim.Simulation`) or, with
no simulation, nothing but the views' own work.

Everything that touches the simulation, its telemetry service or its commander runs on this one
thread (SQLite connections and the discrete-event loop are not to be shared), through `request`;
results and the simulation's observer events come back to the GUI thread as queued signals. The
clock's ticks move the simulation forward (`follow`, latest-wins: a slow machine lags, never
piles up work); the simulation never runs backwards, so a jump back in time only pauses it.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from groundstation.governance.keystore import KeyStore
from groundstation.governance.roster import Roster
from groundstation.sim.events import NodeStatus, SimEvent
from groundstation.sim.scenario import Council
from groundstation.sim.simulation import Simulation, SimulationConfig
from ui.background import Background

# The demo starts its simulation this long before the clock, so the fleet has a history to show.
DEMO_HISTORY = timedelta(hours=1)
DEMO_SEED = 0
# The simulation runs forward in slices this long, so closing the app never waits for a whole
# catch-up (the demo's hour of history, a jump of the clock) to finish.
ADVANCE_SLICE = timedelta(minutes=1)


@dataclass(frozen=True)
class CouncilKeys:
    """The council whose approvals the nodes accept, and where its members' key files are."""

    roster: Roster
    keys: Path  # a KeyStore folder
    hint: str  # how to unlock them (the demo's passphrases are the members' names)


def write_demo_keys(council: Council, folder: Path) -> CouncilKeys:
    """The demo council's keys as encrypted key files, each member's passphrase their own name: the
    console signs through the same KeyStore and passphrases a real council uses."""
    store = KeyStore(folder)
    for member in council.roster.members:
        store.save(member.name, council.keys[member.name], member.name.encode("utf-8"))
    return CouncilKeys(council.roster, folder, "demo passphrase: the member's name")


class Operations(QObject):
    event = Signal(object)  # SimEvent (node status truth left out: the ground learns by telemetry)
    simulation_ready = Signal(object)  # Simulation (read it only through `request`)
    caught_up = Signal(object)  # datetime: the simulation has run up to here
    message = Signal(str, str)  # level, text

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.background = Background("operations", self)
        self.background.done.connect(self._done)
        self.background.failed.connect(self._failed)
        self._callbacks: dict[object, Callable[[Any], None]] = {}
        self._keys = itertools.count()
        self._simulation: Simulation | None = None  # owned by the worker thread once started
        self._workdir: Path | None = None
        self._ready = False
        self._behind: datetime | None = None
        self._warned_backwards = False
        self._stopping = threading.Event()
        self.council: CouncilKeys | None = None  # set before simulation_ready

    @property
    def simulated(self) -> bool:
        return self._ready

    # Starting -----------------------------------------------------------------------------
    def start_demo(self, now: datetime, history: timedelta = DEMO_HISTORY, seed: int = DEMO_SEED) -> None:
        """Build the demo fleet in the worker (under a second) and run it up to `now`."""
        workdir = Path(tempfile.mkdtemp(prefix="groundstation-demo-"))
        self._workdir = workdir
        start = now - history

        def build() -> Simulation:
            simulation = Simulation(
                SimulationConfig(start=start, database=workdir / "sim.db", workdir=workdir, seed=seed)
            )
            simulation.subscribe(self._observe)
            self.council = write_demo_keys(simulation.council, workdir / "council-keys")
            self._simulation = simulation
            self._advance(simulation, now)
            return simulation

        self.request(build, self._started, key="start")

    def _started(self, simulation: Simulation) -> None:
        self._ready = True
        self.message.emit("info", f"simulated demo fleet: {len(simulation.nodes)} nodes, seed {DEMO_SEED}")
        self.simulation_ready.emit(simulation)

    def _observe(self, event: SimEvent) -> None:  # worker thread
        if not isinstance(event, NodeStatus):
            self.event.emit(event)  # a queued signal: delivered on the GUI thread

    # Running ------------------------------------------------------------------------------
    def follow(self, moment: datetime) -> None:
        """Slot for the clock's tick: run the simulation up to `moment` (latest-wins)."""
        if not self._ready:
            return

        def advance(simulation: Simulation) -> datetime:
            if moment < simulation.now:
                return simulation.now
            return self._advance(simulation, moment)

        self.request(advance, self._advanced, key="advance", needs_simulation=True)
        self._behind = moment

    def _advance(self, simulation: Simulation, moment: datetime) -> datetime:  # worker thread
        """Run up to `moment` slice by slice; stop early (where it got to) when shutting down."""
        while simulation.now < moment and not self._stopping.is_set():
            simulation.advance_to(min(moment, simulation.now + ADVANCE_SLICE))
        return simulation.now

    def _advanced(self, reached: datetime) -> None:
        behind = self._behind is not None and reached < self._behind - timedelta(seconds=1)
        if behind and not self._warned_backwards:
            self._warned_backwards = True
            self.message.emit("warning", "the simulation does not run backwards: it waits for the clock")
        self.caught_up.emit(reached)

    def request(
        self,
        job: Callable[..., Any],
        callback: Callable[[Any], None] | None = None,
        *,
        key: object | None = None,
        needs_simulation: bool = False,
    ) -> bool:
        """Run `job()` (or `job(simulation)` with `needs_simulation`) on the operations thread and
        hand its result to `callback` on the GUI thread. A `key` makes it latest-wins among jobs
        with that key; without one every job runs. False when a simulation is needed but absent."""
        if needs_simulation and not self._ready:
            return False
        task = key if key is not None else ("once", next(self._keys))
        if callback is not None:
            self._callbacks[task] = callback
        if needs_simulation:
            self.background.submit(task, lambda: job(self._simulation))
        else:
            self.background.submit(task, job)
        return True

    def busy(self, key: object) -> bool:
        return self.background.busy(key)

    def _done(self, key: object, result: object) -> None:
        callback = self._callbacks.get(key)
        if callback is not None:
            if isinstance(key, tuple) and key and key[0] == "once":
                del self._callbacks[key]
            callback(result)

    def _failed(self, key: object, text: str) -> None:
        if isinstance(key, tuple) and key and key[0] == "once":
            self._callbacks.pop(key, None)
        self.message.emit("error", f"operations: {text}")

    # Stopping -----------------------------------------------------------------------------
    def shutdown(self) -> None:
        self._stopping.set()  # the job in progress ends at its next slice
        self.background.stop()  # waits for it
        simulation, self._simulation = self._simulation, None
        self._ready = False
        if simulation is not None:
            simulation.close()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
