"""The radio path between stations and nodes, from pass geometry: the simulation's `PathModel`.

For a burst at the simulation's current time between a station and the node it is working, the
channel gets: Eb/N0 from the link budget at the slant range (free-space loss), the carrier offset
the receiver sees (Doppler from the range rate on the true transmitted frequency, the node's
oscillator error on both its TX and RX, minus what the receiver is tuned to), and the Doppler rate
from the range acceleration. Below the horizon, or for any pair not in contact (the station's
antenna points elsewhere), there is no path: nothing arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from groundstation.clock import Clock
from groundstation.link_budget import SPEED_OF_LIGHT_M_S, LinkBudget
from groundstation.sim.orbits import ContactGeometry
from radios.channel import ChannelConfig

STATION_PREFIX = "station:"
NODE_PREFIX = "node:"


@dataclass(frozen=True)
class PathSample:
    """The path one burst took (for observers)."""

    time: datetime
    station: str
    node: str
    direction: str  # "uplink" (station to node) or "downlink"
    elevation_deg: float
    range_km: float
    range_rate_m_s: float
    ebn0_db: float
    carrier_offset_hz: float
    doppler_rate_hz_s: float
    received_power_dbm: float


class SimPath:
    def __init__(self, clock: Clock, *, downlink: LinkBudget, uplink: LinkBudget, seed: int) -> None:
        self.clock = clock
        self.downlink = downlink
        self.uplink = uplink
        self.seed = seed
        self.node_ppm: dict[str, float] = {}
        self._contacts: dict[tuple[str, str], ContactGeometry] = {}
        self._bursts = 0
        self.last: PathSample | None = None

    def open(self, station: str, node: str, geometry: ContactGeometry) -> None:
        self._contacts[(station, node)] = geometry

    def close(self, station: str, node: str) -> None:
        self._contacts.pop((station, node), None)

    def channel(
        self,
        transmitter: str,
        receiver: str,
        tx_frequency_hz: float,
        rx_frequency_hz: float,
        sample_rate_hz: float,
    ) -> ChannelConfig | None:
        if transmitter.startswith(STATION_PREFIX) and receiver.startswith(NODE_PREFIX):
            station, node, direction = (
                transmitter[len(STATION_PREFIX) :],
                receiver[len(NODE_PREFIX) :],
                "uplink",
            )
        elif transmitter.startswith(NODE_PREFIX) and receiver.startswith(STATION_PREFIX):
            station, node, direction = (
                receiver[len(STATION_PREFIX) :],
                transmitter[len(NODE_PREFIX) :],
                "downlink",
            )
        else:
            return None
        geometry = self._contacts.get((station, node))
        now = self.clock.now()
        state = None if geometry is None else geometry.at(now.timestamp())
        if state is None or state.elevation_deg < 0.0:
            return None
        ppm = self.node_ppm.get(node, 0.0) * 1e-6
        budget = self.uplink if direction == "uplink" else self.downlink
        tx_true_hz = tx_frequency_hz * (1.0 + ppm) if direction == "downlink" else tx_frequency_hz
        rx_true_hz = rx_frequency_hz * (1.0 + ppm) if direction == "uplink" else rx_frequency_hz
        heard_hz = tx_true_hz * (1.0 - state.range_rate_m_s / SPEED_OF_LIGHT_M_S)
        offset_hz = heard_hz - rx_true_hz
        rate_hz_s = -tx_true_hz * state.range_accel_m_s2 / SPEED_OF_LIGHT_M_S
        ebn0_db = budget.ebn0_db(state.range_m)
        self._bursts += 1
        self.last = PathSample(
            now, station, node, direction, state.elevation_deg, state.range_m / 1000.0, state.range_rate_m_s,
            ebn0_db, offset_hz, rate_hz_s, budget.received_power_dbm(state.range_m),
        )  # fmt: skip
        return ChannelConfig(
            sample_rate_hz=sample_rate_hz,
            ebn0_db=ebn0_db,
            bit_rate_bps=budget.bit_rate_bps,
            carrier_offset_hz=offset_hz,
            doppler_rate_hz_s=rate_hz_s,
            seed=self.seed * 2**32 + self._bursts,
        )
