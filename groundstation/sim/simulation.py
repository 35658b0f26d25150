"""The whole loop in simulated time: nodes on their orbits, stations working their passes, every
frame through the IQ modem and the geometry-driven channel, telemetry archived, commands tracked.

    sim = Simulation(SimulationConfig(start=..., nodes=24, seed=1, database="sim.db", workdir=...))
    sim.subscribe(print)                    # PassStarted, BurstHeard, CommandChanged, ... (events.py)
    sim.queue_demo_packets()                # or sim.queue(packet, node)
    sim.advance_to(start + timedelta(hours=2))   # from any thread but one at a time
    summary = sim.summary()
    sim.close()

Time is discrete-event: `advance_to(t)` runs every event up to `t` in order (ties in the order
they were scheduled) with the injected `SimulatedClock` set to each event's time, so the same
seed gives the same run, and a live view can follow a `SimulatedClock` running at any speed by
calling `advance_to(clock.now())` as often as it likes.

Physical-layer fidelity (measured in benchmarks/bench_sim.py): every frame that is exchanged goes
through the real G3RUH IQ modulator, `ChannelModel` and IQ demodulator at 96 ksps, with Eb/N0,
carrier offset and Doppler rate set from the pass geometry at the start of its burst (held
over the burst, plus the Doppler ramp). What is not simulated sample by sample: the silence
between bursts, and transmissions no station listens to (a node's beacons while no station works
it go nowhere, so they are not modulated at all). Contacts are planned greedily, SatNOGS-style:
passes in AOS order, each station antenna and each node in one contact at a time.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from groundstation.clock import SimulatedClock, require_utc
from groundstation.commanding import Commander, CommandStore, Transition
from groundstation.commanding.alarm_link import alarm_on_rejections
from groundstation.contact import ContactSettings, GroundContact
from groundstation.demo import DEMO_STATIONS, demo_constellation, demo_epoch
from groundstation.governance.audit import AuditLog
from groundstation.governance.packet import Packet
from groundstation.link_budget import UHF_DOWNLINK, UHF_UPLINK, LinkBudget
from groundstation.link_protocol import node_callsign, station_callsign
from groundstation.sim.air import NODE_PREFIX, STATION_PREFIX, SimPath
from groundstation.sim.events import (
    AlarmChanged,
    BurstHeard,
    CommandChanged,
    NodeActivity,
    NodeStatus,
    PassEnded,
    PassStarted,
    SimEvent,
    TelemetryReceived,
)
from groundstation.sim.node import NodeConfig, SimNode
from groundstation.sim.orbits import ContactGeometry, SunlitTable
from groundstation.sim.scenario import FLEET_GROUP, Council, QueuedPacket, demo_packets
from groundstation.sim.summary import SimulationSummary, SummaryCounter
from groundstation.sim.thermal import Temperatures
from groundstation.station.doppler import FrequencyPlan
from groundstation.station.passtrack import pass_track
from groundstation.telemetry.alarms import AlarmEvent
from groundstation.telemetry.dictionary import TelemetryDictionary, demo_dictionary
from groundstation.telemetry.service import TelemetryService
from radios.airlink import AirLink, AirRadio
from radios.ax25 import Frame
from radios.packet_modem import PacketModem, ReceivedFrame
from radios.sdr import RadioSettings
from tracking.elements import Elements
from tracking.geometry import GroundLocation
from tracking.passes import Pass, find_passes
from tracking.propagation import Propagator

SAMPLE_RATE_HZ = 96_000.0
CARRIER_HZ = 435.5e6
TURNAROUND_S = 0.25  # from the end of a burst to the other side's answer
PLAN_CHUNK_S = 6 * 3600.0
PLAN_MARGIN_S = 3600.0  # passes are searched this far beyond a chunk so none is cut
STATUS_PERIOD_S = 60.0
MIN_TIMER_S = 0.1
COMMAND_VALIDITY = timedelta(days=2)
Observer = Callable[[SimEvent], None]


@dataclass(frozen=True)
class SimulationConfig:
    start: datetime
    database: str | Path  # the station archive (SQLite path or database URL)
    workdir: Path  # node replay state, the audit log
    nodes: int = 24
    seed: int = 0
    min_pass_elevation_deg: float = 10.0  # passes culminating lower are not scheduled
    contact: ContactSettings = field(default_factory=ContactSettings)
    downlink: LinkBudget = UHF_DOWNLINK
    uplink: LinkBudget = UHF_UPLINK
    stations: tuple[GroundLocation, ...] = DEMO_STATIONS

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", require_utc(self.start, "simulation start"))
        if not 1 <= self.nodes <= 24:
            raise ValueError(f"nodes must be 1..24 (the demo constellation), got {self.nodes}")


@dataclass
class _Contact:
    """A planned contact and, once it has begun, its live state."""

    station: GroundLocation
    node_index: int
    found: Pass
    start_s: float
    end_s: float
    ground: GroundContact | None = None
    busy_until_s: float = 0.0
    timer_s: float | None = None
    frames_sent: int = 0
    frames_received: int = 0
    active: bool = False


@dataclass
class _Burst:
    time: datetime
    contact: _Contact
    direction: str
    frames: tuple[bytes, ...]
    air_time_s: float
    path: Any  # PathSample


class _LedgerModem(PacketModem):
    """A packet modem that tells the simulation what it sent and what it decoded."""

    def __init__(self, sim: Simulation, radio: AirRadio) -> None:
        super().__init__(radio, fixed_length=True)
        self._sim = sim

    def send(self, frames: Any) -> float:
        air_s = super().send(frames)
        self._sim._sent(self.radio.name, list(frames), air_s)
        return air_s

    def receive(self) -> list[ReceivedFrame]:
        frames = super().receive()
        self._sim._heard(self.radio.name, frames)
        return frames


class Simulation:
    def __init__(self, config: SimulationConfig, dictionary: TelemetryDictionary | None = None) -> None:
        self.config = config
        self.clock = SimulatedClock(config.start, speed=0.0)
        self.start_s = config.start.timestamp()
        self.now_s = self.start_s
        self._observers: list[Observer] = []
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self.counter = SummaryCounter()
        config.workdir.mkdir(parents=True, exist_ok=True)

        epoch = demo_epoch(config.start)
        self.elements: tuple[Elements, ...] = demo_constellation(epoch)[: config.nodes]
        self.propagator = Propagator(self.elements)
        self.sunlit = SunlitTable(self.propagator, self.start_s)
        self.sunlit.extend(self.start_s + PLAN_CHUNK_S + PLAN_MARGIN_S)

        self.telemetry = TelemetryService.open(dictionary or demo_dictionary(), config.database, self.clock)
        self.telemetry.alarms.subscribe(self._on_alarm)
        self.store = CommandStore.open(self.telemetry.archive.db, config.start)
        self.audit = AuditLog(config.workdir / "governance-audit.jsonl")
        self.commander = Commander(self.store, self.audit)
        self.commander.subscribe(self._on_transition)
        alarm_on_rejections(self.commander, self.telemetry.alarms)  # refusals show in the fleet view
        self.council = Council.demo(config.seed)

        self.path = SimPath(self.clock, downlink=config.downlink, uplink=config.uplink, seed=config.seed)
        self.air = AirLink(self.path)
        settings = RadioSettings(SAMPLE_RATE_HZ, CARRIER_HZ)
        self.station_modems: dict[str, PacketModem] = {}
        for station in config.stations:
            radio = self.air.radio(STATION_PREFIX + station.name, settings)
            self.station_modems[station.name] = _LedgerModem(self, radio)
        rng = np.random.default_rng(config.seed)
        self.nodes: list[SimNode] = []
        for index, element in enumerate(self.elements):
            radio = self.air.radio(NODE_PREFIX + element.name, settings)
            radio.open()
            radio.start_rx(config.start)
            node_config = NodeConfig(
                name=element.name,
                norad_id=element.norad_id,
                callsign=node_callsign(element.norad_id),
                groups=frozenset({FLEET_GROUP}),
                oscillator_ppm=float(rng.uniform(-2.0, 2.0)),
                soc=float(rng.uniform(0.55, 0.9)),
                uptime_s=float(rng.uniform(1.0, 30.0)) * 86_400.0,
                storage_used_kib=float(rng.uniform(50_000.0, 400_000.0)),
                temperatures=Temperatures(float(rng.uniform(-20, 40)), float(rng.uniform(8, 16)),
                                          float(rng.uniform(15, 25)), float(rng.uniform(12, 22))),
            )  # fmt: skip
            self.path.node_ppm[element.name] = node_config.oscillator_ppm
            node = SimNode(
                node_config,
                self.council.roster,
                config.workdir / "nodes" / element.name,
                _LedgerModem(self, radio),
                config.start,
                self._sunlit_of(index),
            )
            self.nodes.append(node)
            self.telemetry.fleet.add_node(element.name)
        self._contact_of_pair: dict[tuple[str, str], _Contact] = {}
        self._pending: dict[str, list[_Burst]] = {}
        self._station_busy_s: dict[str, float] = {}
        self._node_busy_s: dict[str, float] = {}
        self._planned_until_s = self.start_s
        self._next_pass: dict[str, list[float]] = {n.name: [] for n in self.nodes}
        self._plan(self.start_s)
        self._schedule(self.start_s, self._status)

    @classmethod
    def demo(cls, start: datetime, workdir: Path, *, nodes: int = 24, seed: int = 0) -> Simulation:
        """The built-in demo in `workdir` (archive `sim.db`, node state, audit log), packets queued."""
        sim = cls(
            SimulationConfig(
                start=start, database=workdir / "sim.db", workdir=workdir, nodes=nodes, seed=seed
            )
        )
        sim.queue_demo_packets()
        return sim

    # --- observers and the public API ------------------------------------------------------------

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        self._observers.append(observer)
        return lambda: self._observers.remove(observer)

    def _emit(self, event: SimEvent) -> None:
        for observer in list(self._observers):
            observer(event)

    @property
    def now(self) -> datetime:
        return self.clock.now()

    def queue(self, packet: Packet, node: str) -> None:
        self.commander.queue(packet, node, self.now)

    def queue_demo_packets(self, valid_for: timedelta = COMMAND_VALIDITY) -> list[QueuedPacket]:
        """The demo's eight governance packets (scenario.demo_packets), queued now."""
        names = tuple(n.name for n in self.nodes)
        planned = demo_packets(self.council, names, self.now, valid_for)
        for item in planned:
            self.queue(item.packet, item.node)
        return planned

    def advance_to(self, moment: datetime) -> None:
        """Run every event up to `moment` (inclusive); time never goes back."""
        target_s = require_utc(moment, "advance_to").timestamp()
        while self._queue and self._queue[0][0] <= target_s:
            time_s, _, action = heapq.heappop(self._queue)
            self._set_time(time_s)
            action()
        self._set_time(max(self.now_s, target_s))

    def step(self, seconds: float) -> None:
        self.advance_to(self.now + timedelta(seconds=seconds))

    def next_event_time(self) -> datetime | None:
        return datetime.fromtimestamp(self._queue[0][0], self.now.tzinfo) if self._queue else None

    def summary(self) -> SimulationSummary:
        return self.counter.summary(self.config, self.now, self.store.commands(), self.telemetry.archive)

    def close(self) -> None:
        for station in self.station_modems.values():
            station.radio.close()
        self.telemetry.close()

    # --- the event queue -------------------------------------------------------------------------

    def _set_time(self, time_s: float) -> None:
        if time_s > self.now_s:
            self.now_s = time_s
            self.clock.jump(datetime.fromtimestamp(time_s, self.config.start.tzinfo))

    def _schedule(self, time_s: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._queue, (max(time_s, self.now_s), next(self._order), action))

    def _sunlit_of(self, index: int) -> Callable[[float], bool]:
        return lambda time_s: self.sunlit.sunlit_at(index, time_s)

    # --- planning --------------------------------------------------------------------------------

    def _plan(self, from_s: float) -> None:
        """Plan the contacts whose AOS falls in the next chunk; schedule the chunk after it."""
        chunk_end_s = from_s + PLAN_CHUNK_S
        first = from_s == self.start_s
        found = find_passes(
            self.propagator,
            self.config.stations,
            _utc(from_s - (PLAN_MARGIN_S if first else 0.0)),
            _utc(chunk_end_s + PLAN_MARGIN_S),
            min_elevation_deg=self.config.min_pass_elevation_deg,
        ).passes
        index_of = {e.norad_id: i for i, e in enumerate(self.elements)}
        station_of = {s.name: s for s in self.config.stations}
        for item in sorted(found, key=lambda p: (p.aos, p.station, p.norad_id)):
            aos_s, los_s = item.aos.timestamp(), item.los.timestamp()
            in_chunk = from_s <= aos_s < chunk_end_s or (first and aos_s < from_s < los_s)
            if not in_chunk:
                continue
            start_s = max(aos_s, self.start_s)
            name = self.elements[index_of[item.norad_id]].name
            if (
                self._station_busy_s.get(item.station, 0.0) > start_s
                or self._node_busy_s.get(name, 0.0) > start_s
            ):
                continue  # one antenna per station, one link per node
            self._station_busy_s[item.station] = los_s
            self._node_busy_s[name] = los_s
            contact = _Contact(station_of[item.station], index_of[item.norad_id], item, start_s, los_s)
            self._next_pass[name].append(start_s)
            self._schedule_contact(contact)
        self._planned_until_s = chunk_end_s
        self.sunlit.extend(chunk_end_s + PLAN_CHUNK_S + PLAN_MARGIN_S)
        self._schedule(chunk_end_s, lambda: self._plan(chunk_end_s))
        for node in self.nodes:
            self._update_next_pass(node.name)

    def _schedule_contact(self, contact: _Contact) -> None:
        self._schedule(contact.start_s, lambda: self._aos(contact))
        self._schedule(contact.end_s, lambda: self._los(contact))

    def _update_next_pass(self, node: str) -> None:
        upcoming = [t for t in self._next_pass[node] if t > self.now_s]
        self._next_pass[node] = upcoming
        self.telemetry.fleet.set_next_pass(node, _utc(min(upcoming)) if upcoming else None)

    # --- contacts --------------------------------------------------------------------------------

    def _aos(self, contact: _Contact) -> None:
        node = self.nodes[contact.node_index]
        station = contact.station
        element = self.elements[contact.node_index]
        geometry = ContactGeometry.compute(
            self.propagator, contact.node_index, station, contact.found.aos.timestamp(), contact.end_s
        )
        self.path.open(station.name, node.name, geometry)
        contact.ground = GroundContact(
            station=station.name,
            station_callsign=station_callsign(station.name),
            node=node.name,
            node_callsign=node.callsign,
            modem=self.station_modems[station.name],
            track=pass_track(element, station, contact.found),
            plan=FrequencyPlan(downlink_hz=CARRIER_HZ, uplink_hz=CARRIER_HZ),
            commander=self.commander,
            telemetry=self.telemetry,
            clock=self.clock,
            settings=self.config.contact,
        )
        contact.ground.start()
        contact.active = True
        self._contact_of_pair[(station.name, node.name)] = contact
        self.counter.passes_worked += 1
        self._emit(
            PassStarted(self.now, station.name, node.name, contact.found.los, contact.found.max_elevation_deg)
        )
        self._update_next_pass(node.name)
        self._schedule(self.now_s, lambda: self._ground_poll(contact))
        self._schedule(node.next_beacon_s(self.now_s), lambda: self._beacon(contact))

    def _los(self, contact: _Contact) -> None:
        if not contact.active or contact.ground is None:
            return
        node = self.nodes[contact.node_index]
        contact.ground.end()
        contact.active = False
        self.path.close(contact.station.name, node.name)
        self._contact_of_pair.pop((contact.station.name, node.name), None)
        contact.ground.modem.radio.close()
        self._emit(
            PassEnded(self.now, contact.station.name, node.name, contact.frames_sent, contact.frames_received)
        )

    def _busy(self, contact: _Contact, retry: Callable[[], None]) -> bool:
        """Half duplex: one transmission at a time on a contact's channel."""
        if self.now_s < contact.busy_until_s:
            self._schedule(contact.busy_until_s + 0.01, retry)
            return True
        return False

    def _ground_poll(self, contact: _Contact, timer: bool = False) -> None:
        if not contact.active or contact.ground is None:
            return
        if timer and contact.timer_s != self.now_s:
            return  # superseded by a later timer
        if self._busy(contact, lambda: self._ground_poll(contact)):
            return
        step = contact.ground.poll()
        if step.ingested is not None:
            self._telemetry_event(contact, step.ingested)
        if step.air_time_s > 0:
            contact.busy_until_s = self.now_s + step.air_time_s
            self._schedule(contact.busy_until_s + TURNAROUND_S, lambda: self._node_poll(contact))
        if step.next_poll_s is not None and step.next_poll_s < contact.end_s:
            contact.timer_s = max(step.next_poll_s, self.now_s + MIN_TIMER_S)  # never a same-time loop
            self._schedule(contact.timer_s, lambda: self._ground_poll(contact, timer=True))

    def _node_poll(self, contact: _Contact) -> None:
        if not contact.active:
            return
        if self._busy(contact, lambda: self._node_poll(contact)):
            return
        node = self.nodes[contact.node_index]
        frames = node.poll(self.now)
        self._drain_node_events(node)
        if frames:
            self._node_transmit(contact, node, frames)
        if node.has_incomplete_transfer():
            delay_s = node.receiver.reassembler.request_delay_s + 0.1
            self._schedule(self.now_s + delay_s, lambda: self._node_poll(contact))

    def _beacon(self, contact: _Contact) -> None:
        if not contact.active:
            return
        node = self.nodes[contact.node_index]
        if self._busy(contact, lambda: self._beacon(contact)):
            return
        self._node_transmit(contact, node, node.beacon(self.now))
        self._schedule(node.next_beacon_s(self.now_s), lambda: self._beacon(contact))

    def _node_transmit(self, contact: _Contact, node: SimNode, frames: list[Frame]) -> None:
        if contact.ground is not None:
            contact.ground.track_doppler()  # the station's 1 s Doppler loop, between polls
        air_s = node.transmit(frames)
        contact.busy_until_s = self.now_s + air_s
        self._schedule(contact.busy_until_s + 0.01, lambda: self._ground_poll(contact))

    def _telemetry_event(self, contact: _Contact, ingested: Any) -> None:
        node = self.nodes[contact.node_index].name
        samples = tuple(ingested.decoded.samples())
        self.counter.telemetry_samples += len(samples)
        self._emit(TelemetryReceived(self.now, contact.station.name, node, samples))

    # --- the frame ledger ------------------------------------------------------------------------

    def _sent(self, radio_name: str, frames: list[Frame], air_s: float) -> None:
        deliveries = self.air.radios()
        sender = next(r for r in deliveries if r.name == radio_name)
        encoded = tuple(f.encode() for f in frames)
        for delivery in sender.last_deliveries:
            pair = self._pair(delivery.transmitter, delivery.receiver)
            contact = self._contact_of_pair.get(pair) if pair else None
            if contact is None or self.path.last is None:
                continue
            direction = "uplink" if radio_name.startswith(STATION_PREFIX) else "downlink"
            burst = _Burst(self.now, contact, direction, encoded, air_s, self.path.last)
            self._pending.setdefault(delivery.receiver, []).append(burst)
        if not sender.last_deliveries:
            self.counter.frames_without_path += len(frames)

    def _heard(self, radio_name: str, received: list[ReceivedFrame]) -> None:
        decoded = {r.frame.encode() for r in received}
        for burst in self._pending.pop(radio_name, []):
            got = sum(1 for f in burst.frames if f in decoded)
            sent = len(burst.frames)
            self.counter.count(burst.direction, sent, got)
            burst.contact.frames_sent += sent
            if got and not burst.contact.frames_received:
                self.counter.passes_with_data += 1
            burst.contact.frames_received += got
            path = burst.path
            self._emit(
                BurstHeard(
                    burst.time, burst.contact.station.name, self.nodes[burst.contact.node_index].name,
                    burst.direction, sent, got, burst.air_time_s, path.elevation_deg, path.range_km,
                    path.ebn0_db, path.carrier_offset_hz, path.doppler_rate_hz_s,
                )
            )  # fmt: skip
            if burst.direction == "uplink":
                self.nodes[burst.contact.node_index].uplink_rssi_dbm = path.received_power_dbm

    @staticmethod
    def _pair(transmitter: str, receiver: str) -> tuple[str, str] | None:
        for a, b in ((transmitter, receiver), (receiver, transmitter)):
            if a.startswith(STATION_PREFIX) and b.startswith(NODE_PREFIX):
                return a[len(STATION_PREFIX) :], b[len(NODE_PREFIX) :]
        return None

    # --- status and listeners --------------------------------------------------------------------

    def _status(self) -> None:
        for index, node in enumerate(self.nodes):
            node.advance(self.now)
            self._emit(
                NodeStatus(self.now, node.name, node.snapshot(), self.sunlit.sunlit_at(index, self.now_s))
            )
            self._drain_node_events(node)
        self.telemetry.alarms.tick()  # staleness and shelf expiry follow the simulated clock
        self._schedule(self.now_s + STATUS_PERIOD_S, self._status)

    def _drain_node_events(self, node: SimNode) -> None:
        events, node.events = node.events, []
        for event in events:
            self._emit(NodeActivity(event))

    def _on_transition(self, transition: Transition) -> None:
        self._emit(CommandChanged(transition))

    def _on_alarm(self, event: AlarmEvent) -> None:
        self.counter.alarm(event)
        self._emit(AlarmChanged(event))


def _utc(time_s: float) -> datetime:
    return datetime.fromtimestamp(time_s, UTC)
