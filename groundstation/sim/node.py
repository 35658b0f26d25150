"""A simulated node: power, thermal, modes and storage driven by its orbit, the governance verifier
with its own persisted replay state, the actions it executes, and what it says on the radio.

The node hears only what its radio (an `AirRadio` on the simulation's air link) delivers, through
the same packet modem the ground uses, and answers with AX.25 frames: segmentation requests and
acknowledgements, one governance report per packet it verified (accepted or rejected, with the
verifier's reason code, repeated in its next beacons in case the first is lost), and its health
packet. It beacons its health every `telemetry_period_s` (a command changes that).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from groundstation.governance.packet import Packet
from groundstation.governance.payloads import Command, KeyRevocation, Payload, PolicyUpdate, RosterRotation
from groundstation.governance.reasons import DecodeError, Reason
from groundstation.governance.roster import Roster
from groundstation.governance.verifier import NodeIdentity, NodeVerifier, Verdict
from groundstation.governance_link import AX25, GOVERNANCE_APID, GovernanceReceiver
from groundstation.link_protocol import BEACON_DESTINATION, report_id, request_packet
from groundstation.sim.node_telemetry import (
    HEALTH_APID,
    MODES,
    REPORT_APID,
    GovernanceReport,
    HealthSample,
    pack_health,
    pack_report,
)
from groundstation.sim.power import MODE_LOAD_W, PowerParams, PowerState, initial_power, step_power
from groundstation.sim.thermal import Temperatures, heater_wanted, step_thermal
from radios.ax25 import Frame
from radios.packet_modem import PacketModem
from radios.spacepacket import CcsdsPacket

MAX_STEP_S = 30.0
STORAGE_CAPACITY_KIB = 1_000_000.0
PAYLOAD_DATA_KIB_S = 12.0
HOUSEKEEPING_DATA_KIB_S = 0.2
REPORT_REPEATS = 3  # beacons that carry a report again after it was first sent
MIN_TELEMETRY_PERIOD_S = 5.0
MAX_TELEMETRY_PERIOD_S = 600.0
DEFAULT_LOW_POWER_SOC_PCT = 25.0
DEFAULT_SAFE_SOC_PCT = 12.0
INITIAL_UPLINK_RSSI_DBM = -110.0  # as last heard before the run (a mid-pass level)
_ADCS_BY_MODE = {
    "safe": "sun_pointing",
    "nominal": "sun_pointing",
    "payload": "fine_pointing",
    "low_power": "sun_pointing",
    "detumble": "detumbling",
}
SunlitAt = Callable[[float], bool]  # POSIX seconds -> in sunlight (tracking.look.sunlit)


@dataclass(frozen=True)
class NodeConfig:
    name: str
    norad_id: int
    callsign: str
    groups: frozenset[str] = frozenset()
    oscillator_ppm: float = 0.0  # the node's reference oscillator error (TX and RX)
    soc: float = 0.8
    uptime_s: float = 86_400.0
    storage_used_kib: float = 100_000.0
    telemetry_period_s: float = 60.0
    temperatures: Temperatures = field(default_factory=lambda: Temperatures(10.0, 12.0, 20.0, 18.0))
    mode: str = "nominal"


@dataclass(frozen=True)
class NodeEvent:
    """Something the node did on its own or on command, for observers."""

    node: str
    time: datetime
    kind: str  # "verdict", "mode", "reboot", "telemetry_period"
    detail: str


class SimNode:
    def __init__(
        self,
        config: NodeConfig,
        roster: Roster,
        state_dir: Path,
        modem: PacketModem,
        start: datetime,
        sunlit_at: SunlitAt,
        power_params: PowerParams | None = None,
    ) -> None:
        self.config = config
        self.name = config.name
        self.callsign = config.callsign
        self.modem = modem
        self.sunlit_at = sunlit_at
        self.power_params = power_params or PowerParams()
        self.verifier = NodeVerifier(NodeIdentity(config.name, config.groups), roster, state_dir)
        self.receiver = GovernanceReceiver(self.verifier, profile=AX25)
        self.time = start
        self.boot_time_s = start.timestamp() - config.uptime_s
        self.mode = config.mode
        self.power: PowerState = initial_power(config.soc)
        self.temperatures = config.temperatures
        self.heater_on = heater_wanted(config.temperatures.battery_c, False)
        self.storage_used_kib = config.storage_used_kib
        self.telemetry_period_s = config.telemetry_period_s
        self.beacon_anchor_s = start.timestamp()  # beacons at anchor + k x period
        self.low_power_soc_pct = DEFAULT_LOW_POWER_SOC_PCT
        self.safe_soc_pct = DEFAULT_SAFE_SOC_PCT
        self.commands_accepted = 0
        self.commands_rejected = 0
        self.last_accepted_sequence = 0
        self.last_rejection_reason: Reason | None = None
        self.uplink_rssi_dbm = INITIAL_UPLINK_RSSI_DBM
        self.reports: list[tuple[GovernanceReport, int]] = []  # (report, beacons left to repeat it)
        self._unsent_reports: list[GovernanceReport] = []
        self._report_number = 0
        self._sequence_counts: dict[int, int] = {}
        self._transmit_s = 0.0  # air time since the last physics step
        self.events: list[NodeEvent] = []  # drained by the simulation

    # --- physics ---------------------------------------------------------------------------------

    @property
    def sun_pointing(self) -> bool:
        return _ADCS_BY_MODE[self.mode] in ("sun_pointing", "fine_pointing")

    def advance(self, to: datetime) -> None:
        """Integrate power, temperatures and storage up to `to` (steps of at most MAX_STEP_S)."""
        t0 = self.time.timestamp()
        end = to.timestamp()
        while t0 < end:
            dt = min(MAX_STEP_S, end - t0)
            sunlit = self.sunlit_at(t0 + dt / 2)
            transmit_s = min(self._transmit_s, dt)
            self._transmit_s -= transmit_s
            self.heater_on = heater_wanted(self.temperatures.battery_c, self.heater_on)
            self.power = step_power(
                self.power,
                self.power_params,
                dt,
                sunlit=sunlit,
                mode=self.mode,
                sun_pointing=self.sun_pointing,
                heater_on=self.heater_on,
                transmit_s=transmit_s,
            )
            load_w = MODE_LOAD_W[self.mode] + (self.power_params.heater_w if self.heater_on else 0.0)
            self.temperatures = step_thermal(
                self.temperatures, dt, sunlit=sunlit, load_w=load_w, heater_on=self.heater_on,
                transmit_s=transmit_s,
            )  # fmt: skip
            rate = PAYLOAD_DATA_KIB_S if self.mode == "payload" else HOUSEKEEPING_DATA_KIB_S
            self.storage_used_kib = min(STORAGE_CAPACITY_KIB, self.storage_used_kib + rate * dt)
            t0 += dt
            self._protect(t0)
        self.time = max(self.time, to)

    def _protect(self, at_s: float) -> None:
        """Autonomous power protection: shed loads before the battery runs flat."""
        soc_pct = self.power.soc * 100.0
        if soc_pct < self.safe_soc_pct and self.mode != "safe":
            self._set_mode("safe", at_s, "battery below the safe-mode threshold")
        elif soc_pct < self.low_power_soc_pct and self.mode in ("nominal", "payload", "detumble"):
            self._set_mode("low_power", at_s, "battery below the low-power threshold")

    def _set_mode(self, mode: str, at_s: float, why: str) -> None:
        previous, self.mode = self.mode, mode
        self._event(at_s, "mode", f"{previous} -> {mode}: {why}")

    def _event(self, at_s: float, kind: str, detail: str) -> None:
        self.events.append(NodeEvent(self.name, datetime.fromtimestamp(at_s, self.time.tzinfo), kind, detail))

    def uptime_s(self, now: datetime) -> float:
        return now.timestamp() - self.boot_time_s

    def health(self, now: datetime) -> HealthSample:
        epoch = self.verifier.current_roster().epoch
        return HealthSample(
            uptime_s=self.uptime_s(now),
            battery_voltage_v=self.power.battery_voltage_v,
            battery_soc_pct=self.power.soc * 100.0,
            mode=self.mode,
            obc_temperature_c=self.temperatures.obc_c,
            battery_temperature_c=self.temperatures.battery_c,
            radio_temperature_c=self.temperatures.radio_c,
            panel_temperature_c=self.temperatures.panel_c,
            storage_used_kib=self.storage_used_kib,
            storage_free_kib=STORAGE_CAPACITY_KIB - self.storage_used_kib,
            commands_accepted=self.commands_accepted,
            commands_rejected=self.commands_rejected,
            roster_epoch=epoch,
            last_accepted_sequence=self.last_accepted_sequence,
            last_rejection_reason=self.last_rejection_reason,
            payload_on=self.mode == "payload",
            heater_on=self.heater_on,
            adcs_state=_ADCS_BY_MODE[self.mode],
            uplink_rssi_dbm=self.uplink_rssi_dbm,
            solar_current_a=self.power.solar_current_a,
        )

    # --- radio -----------------------------------------------------------------------------------

    def next_beacon_s(self, after_s: float) -> float:
        """The first beacon time strictly after `after_s` (POSIX seconds)."""
        periods = int((after_s - self.beacon_anchor_s) // self.telemetry_period_s) + 1
        return self.beacon_anchor_s + periods * self.telemetry_period_s

    def _space_packet(self, apid: int, data: bytes) -> bytes:
        return CcsdsPacket(apid, self._next_count(apid), data, telecommand=False).pack()

    def _frame(self, info: bytes) -> Frame:
        return Frame.ui(self.callsign, BEACON_DESTINATION, info)

    def _health_frame(self, now: datetime) -> Frame:
        return self._frame(self._space_packet(HEALTH_APID, pack_health(self.health(now))))

    def _report_frame(self, report: GovernanceReport) -> Frame:
        return self._frame(self._space_packet(REPORT_APID, pack_report(report)))

    def beacon(self, now: datetime) -> list[Frame]:
        """The periodic beacon: health, and the recent reports still due a repeat."""
        self.advance(now)
        frames = [self._health_frame(now)]
        kept = []
        for report, repeats in self.reports:
            frames.append(self._report_frame(report))
            if repeats > 1:
                kept.append((report, repeats - 1))
        self.reports = kept
        return frames

    def transmit(self, frames: list[Frame]) -> float:
        air_s = self.modem.send(frames)
        self._transmit_s += air_s
        return air_s

    def has_incomplete_transfer(self) -> bool:
        return bool(self.receiver.reassembler.missing(0))

    def poll(self, now: datetime) -> list[Frame]:
        """Hear the uplink, verify what completed, and return the answer to send (maybe none)."""
        self.advance(now)
        heard_uplink = False
        for received in self.modem.receive():
            frame = received.frame
            if frame.destination.callsign != self.callsign:
                continue
            heard_uplink = True
            verdict = self.receiver.receive(frame.info, now)
            if verdict is not None and self.receiver.last_packet is not None:
                self._on_verdict(verdict, self.receiver.last_packet, now)
        requests = self.receiver.reassembler.requests(now.timestamp())
        frames = [self._frame(request_packet(r, self._next_count(GOVERNANCE_APID))) for r in requests]
        for report in self._unsent_reports:
            frames.append(self._report_frame(report))
        self._unsent_reports = []
        if frames or heard_uplink:
            frames.append(self._health_frame(now))
        return frames

    def _next_count(self, apid: int) -> int:
        count = self._sequence_counts.get(apid, 0)
        self._sequence_counts[apid] = (count + 1) & 0x3FFF
        return count

    # --- governance ------------------------------------------------------------------------------

    def _on_verdict(self, verdict: Verdict, data: bytes, now: datetime) -> None:
        sequence = epoch = 0
        try:
            header = Packet.decode(data).header
            sequence, epoch = header.sequence, header.epoch
        except DecodeError:
            pass
        execution = "none"
        if verdict.accepted:
            self.commands_accepted += 1
            self.last_accepted_sequence = sequence
            assert verdict.payload is not None
            execution = self._execute(verdict.payload, now)
        else:
            self.commands_rejected += 1
            self.last_rejection_reason = verdict.reason
        self._report_number = (self._report_number + 1) & 0xFF
        report = GovernanceReport(
            uptime_s=int(self.uptime_s(now)),
            sequence=sequence,
            epoch=epoch,
            packet_id=report_id(data),
            accepted=verdict.accepted,
            reason=verdict.reason,
            execution=execution,
            number=self._report_number,
        )
        self._unsent_reports.append(report)
        self.reports.append((report, REPORT_REPEATS))
        self._event(now.timestamp(), "verdict", f"sequence {sequence}: {verdict} ({execution})")

    def _execute(self, payload: Payload, now: datetime) -> str:
        at_s = now.timestamp()
        if isinstance(payload, Command):
            args = payload.argument_map
            if payload.opcode == "set_mode":
                mode = args.get("mode", "")
                if mode not in MODES:
                    return "bad_argument"
                self._set_mode(mode, at_s, "commanded")
                return "executed"
            if payload.opcode == "set_telemetry_period":
                try:
                    period = float(args.get("period_s", ""))
                except ValueError:
                    return "bad_argument"
                if not MIN_TELEMETRY_PERIOD_S <= period <= MAX_TELEMETRY_PERIOD_S:
                    return "bad_argument"
                self.telemetry_period_s = period
                self.beacon_anchor_s = at_s
                self._event(at_s, "telemetry_period", f"beacon every {period:g} s")
                return "executed"
            if payload.opcode == "clear_storage":
                self.storage_used_kib = 0.0
                return "executed"
            if payload.opcode == "reboot":
                self.boot_time_s = at_s
                self.commands_accepted = self.commands_rejected = 0
                self._set_mode("safe", at_s, "rebooted")
                self._event(at_s, "reboot", "commanded reboot")
                return "executed"
            return "unknown_opcode"
        if isinstance(payload, PolicyUpdate):
            if payload.key not in ("low_power_soc_pct", "safe_soc_pct"):
                return "unsupported"
            try:
                value = float(payload.value)
            except ValueError:
                return "bad_argument"
            if not 0.0 <= value <= 100.0:
                return "bad_argument"
            setattr(self, payload.key, value)
            return "executed"
        if isinstance(payload, RosterRotation | KeyRevocation):
            return "executed"  # the verifier has already persisted the new roster / revocation
        return "unsupported"

    def snapshot(self) -> HealthSample:
        return self.health(self.time)
