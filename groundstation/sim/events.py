"""What a running simulation tells its observers (the desktop app, the CLI's progress, tests).

Every event is a frozen value; observers get them on the thread that calls `Simulation.advance_to`
(a GUI hands them to its own thread), in simulated-time order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from groundstation.commanding import Transition
from groundstation.sim.node import NodeEvent
from groundstation.sim.node_telemetry import HealthSample
from groundstation.telemetry.alarms import AlarmEvent
from groundstation.telemetry.frames import ParameterSample


@dataclass(frozen=True)
class PassStarted:
    time: datetime
    station: str
    node: str
    los: datetime
    max_elevation_deg: float


@dataclass(frozen=True)
class PassEnded:
    time: datetime
    station: str
    node: str
    frames_sent: int  # both directions, bursts that had a path
    frames_received: int


@dataclass(frozen=True)
class BurstHeard:
    """One burst through the air and what its receiver decoded of it."""

    time: datetime  # start of transmission
    station: str
    node: str
    direction: str  # "uplink" or "downlink"
    frames_sent: int
    frames_received: int
    air_time_s: float
    elevation_deg: float
    range_km: float
    ebn0_db: float  # from the link budget (the receiver's own estimate is in the archive's snr_db)
    carrier_offset_hz: float
    doppler_rate_hz_s: float


@dataclass(frozen=True)
class CommandChanged:
    transition: Transition


@dataclass(frozen=True)
class TelemetryReceived:
    time: datetime
    station: str
    node: str
    samples: tuple[ParameterSample, ...]


@dataclass(frozen=True)
class AlarmChanged:
    event: AlarmEvent


@dataclass(frozen=True)
class NodeStatus:
    """The simulation's truth about a node (what the ground only learns at the next pass)."""

    time: datetime
    node: str
    health: HealthSample
    sunlit: bool


@dataclass(frozen=True)
class NodeActivity:
    event: NodeEvent


SimEvent = (
    PassStarted
    | PassEnded
    | BurstHeard
    | CommandChanged
    | TelemetryReceived
    | AlarmChanged
    | NodeStatus
    | NodeActivity
)
