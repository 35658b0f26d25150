"""One station working one node for one pass: the station's side of the link, on any `Radio`.

The same code runs with an SDR and with the simulator's air link. Each `poll()` (on receptions
and on the timers it asks for):

1. tunes the radio for Doppler from the pass's sky track (station.doppler: receive f0 (1 − v/c),
   transmit pre-corrected f0 / (1 − v/c));
2. demodulates what the radio heard; telemetry goes through the telemetry service (archive first,
   then alarms and the fleet view); the node's segmentation requests and acknowledgements drive
   selective repeat; its governance reports settle commands (accepted, or rejected with the
   verifier's reason code);
3. above the uplink elevation mask, releases the node's next queued command, sends its segments,
   resends what the node asks for, and retries when the node stays silent for `response_timeout_s`.

At LOS, `end()` puts a command still waiting for its verdict back in the queue for the next pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from groundstation.clock import Clock
from groundstation.commanding import Commander, CommandRecord, CommandState, NodeReport
from groundstation.governance.reasons import Reason
from groundstation.governance_link import AX25, uplink_frames
from groundstation.link_protocol import classify_downlink
from groundstation.station.doppler import DopplerController, FrequencyPlan, RadioSink
from groundstation.station.sky import SkyTrack
from groundstation.telemetry.frames import Reception, TelemetryFrame
from groundstation.telemetry.service import Ingested, TelemetryService
from radios.ax25 import Frame
from radios.packet_modem import PacketModem, ReceivedFrame
from radios.segmentation import SegmentRequest

REPORT_PACKET = "governance_report"
TIME_SLACK_S = 1e-3  # timers compare POSIX seconds held in floats
_WAITING = frozenset({CommandState.SENT, CommandState.DELIVERED})


@dataclass(frozen=True)
class ContactSettings:
    uplink_min_elevation_deg: float = 10.0  # the downlink (acks, reports) closes from about 8°
    response_timeout_s: float = 8.0  # silence after our last segment before trying again


@dataclass(frozen=True)
class ContactStep:
    """What one poll did."""

    sent_frames: int
    air_time_s: float
    received: tuple[ReceivedFrame, ...]
    ingested: Ingested | None
    next_poll_s: float | None  # when a timer wants the next poll (POSIX s); None: on receptions only


class GroundContact:
    def __init__(
        self,
        *,
        station: str,
        station_callsign: str,
        node: str,
        node_callsign: str,
        modem: PacketModem,
        track: SkyTrack,
        plan: FrequencyPlan,
        commander: Commander,
        telemetry: TelemetryService,
        clock: Clock,
        settings: ContactSettings | None = None,
    ) -> None:
        self.station = station
        self.station_callsign = station_callsign
        self.node = node
        self.node_callsign = node_callsign
        self.modem = modem
        self.track = track
        self.commander = commander
        self.telemetry = telemetry
        self.clock = clock
        self.settings = settings or ContactSettings()
        self.doppler = DopplerController(plan)
        self.sink = RadioSink(modem.radio)
        report = next((p for p in telemetry.dictionary.packets if p.name == REPORT_PACKET), None)
        self.report_apid = None if report is None else report.apid
        self.record: CommandRecord | None = None
        self._segments: list[bytes] = []
        self._resend: list[int] = []
        self._transfer_id = -1
        self._last_tx_s: float | None = None
        self.frames_heard = 0
        self.frames_foreign = 0

    # --- the pass --------------------------------------------------------------------------------

    def start(self) -> None:
        radio = self.modem.radio
        radio.open()
        self._tune(self.clock.now().timestamp())
        radio.start_rx(self.clock.now())

    def end(self) -> None:
        """LOS: hear what is left, then requeue a command still waiting for its verdict."""
        self._hear(self.clock.now())
        record = self.record
        if record is not None and not record.terminal:
            self.commander.requeue(
                record, self.station, self.clock.now(), "pass ended before the node's verdict"
            )
        self.record = None

    def _tune(self, time_s: float) -> None:
        due = self.doppler.due(self.doppler.wanted(time_s, self.track.range_rate_at))
        if due.rx_hz is not None:
            self.sink.set_rx_hz(due.rx_hz)
            self.doppler.record_rx(due.rx_hz)
        if due.tx_hz is not None:
            self.sink.set_tx_hz(due.tx_hz)
            self.doppler.record_tx(due.tx_hz)

    def track_doppler(self) -> None:
        """Retune for Doppler now (a station's tracking loop calls this every second or so)."""
        self._tune(self.clock.now().timestamp())

    def elevation_deg(self, time_s: float) -> float:
        return self.track.direction_at(time_s)[1]

    def poll(self) -> ContactStep:
        now = self.clock.now()
        now_s = now.timestamp()
        self._tune(now_s)
        received, ingested = self._hear(now)
        sent, air_s = self._transmit(now)
        return ContactStep(sent, air_s, tuple(received), ingested, self._next_poll_s(now_s, air_s))

    # --- receiving -------------------------------------------------------------------------------

    def _hear(self, now: datetime) -> tuple[list[ReceivedFrame], Ingested | None]:
        received = self.modem.receive()
        telemetry: list[TelemetryFrame] = []
        for item in received:
            frame = item.frame
            downlink = classify_downlink(frame.info) if frame.source.callsign == self.node_callsign else None
            if downlink is None:
                self.frames_foreign += 1
                continue
            self.frames_heard += 1
            if downlink.request is not None:
                self._on_request(downlink.request, now)
                continue
            reception = Reception(
                station=self.station,
                time=now,
                frequency_hz=self.sink.rx_hz(),
                snr_db=None if item.ebn0_db is None else round(item.ebn0_db, 2),
                decoder=f"g3ruh-iq/{item.decoder}",
            )
            telemetry.append(TelemetryFrame.from_space_packet(self.node, downlink.packet, reception))
        if not telemetry:
            return received, None
        ingested = self.telemetry.receive(telemetry)
        for packet in telemetry:
            if packet.apid == self.report_apid:
                self._on_report(packet, now)
        return received, ingested

    def _on_request(self, request: SegmentRequest, now: datetime) -> None:
        record = self.record
        if record is None or record.terminal or request.transfer_id != self._transfer_id:
            return
        if request.is_ack:
            self.record = self.commander.delivered(record, self.station, now)
            self._resend = []
        else:
            self._resend = [i for i in request.indices() if i < len(self._segments)]

    def _on_report(self, frame: TelemetryFrame, now: datetime) -> None:
        values = {s.parameter: s for s in self.telemetry.decoder.decode([frame]).samples()}
        try:
            reason_text = values["gov_reason"].text
            report = NodeReport(
                node=self.node,
                packet_id=int(values["gov_packet_id"].raw_value),
                sequence=int(values["gov_sequence"].raw_value),
                epoch=int(values["gov_epoch"].raw_value),
                accepted=values["gov_verdict"].text == "accepted",
                reason=None if reason_text in (None, "none") else _reason(reason_text),
                execution=values["gov_execution"].text or "none",
                number=int(values["gov_report_number"].raw_value),
                uptime_s=int(values["gov_uptime"].raw_value),
            )
        except KeyError:
            return  # the dictionary's report packet lacks a field: nothing to settle
        settled = self.commander.report(report, self.station, now)
        if settled is not None and self.record is not None and settled.id == self.record.id:
            self.record = None

    # --- transmitting ----------------------------------------------------------------------------

    def _new_transfer_id(self, record: CommandRecord) -> int:
        """Unique per release of a command, so a node never takes a new transfer for an old one."""
        steps = self.commander.store.transitions(record.id)
        releases = sum(1 for t in steps if t.state == CommandState.RELEASED)
        return (record.id * 8 + releases) & 0xFFFF

    def _send(self, indices: list[int], now: datetime) -> tuple[int, float]:
        frames = [Frame.ui(self.station_callsign, self.node_callsign, self._segments[i]) for i in indices]
        self._tune(now.timestamp())
        air_s = self.modem.send(frames)
        self._last_tx_s = now.timestamp() + air_s
        return len(frames), air_s

    def _transmit(self, now: datetime) -> tuple[int, float]:
        now_s = now.timestamp()
        if self.elevation_deg(now_s) < self.settings.uplink_min_elevation_deg:
            return 0, 0.0
        record = self.record
        if record is not None and record.terminal:
            record = self.record = None
        if record is None:
            record = self.commander.next_for(self.node, now)
            if record is None:
                return 0, 0.0
            record = self.commander.release(record, self.station, now)
            self._transfer_id = self._new_transfer_id(record)
            self._segments = uplink_frames(record.data, AX25, transfer_id=self._transfer_id)
            self._resend = []
            self.record = record
            count, air_s = self._send(list(range(len(self._segments))), now)
            self.record = self.commander.sent(record, self.station, now, f"{count} segments")
            return count, air_s
        if self._resend:
            indices, self._resend = self._resend, []
            return self._send(indices, now)
        waiting = record.state in _WAITING or record.state == CommandState.RELEASED
        if waiting and self._last_tx_s is not None and now_s >= self._retry_due_s():
            if record.state == CommandState.DELIVERED:
                return 0, 0.0  # on board: its report comes with the next beacons
            retried = self.commander.retry(record, self.station, now, "no answer")
            if retried.state != CommandState.RETRIED:
                self.record = None
                return 0, 0.0
            count, air_s = self._send(list(range(len(self._segments))), now)
            self.record = self.commander.sent(retried, self.station, now, f"{count} segments (retry)")
            return count, air_s
        return 0, 0.0

    def _retry_due_s(self) -> float:
        assert self._last_tx_s is not None
        return self._last_tx_s + self.settings.response_timeout_s - TIME_SLACK_S

    def _next_poll_s(self, now_s: float, air_s: float) -> float | None:
        record = self.record
        if record is None:
            if self.elevation_deg(now_s) < self.settings.uplink_min_elevation_deg:
                return self._mask_rise_s(now_s)
            return None
        if record.state in (CommandState.SENT, CommandState.RETRIED) and self._last_tx_s is not None:
            return self._retry_due_s()
        return None

    def _mask_rise_s(self, now_s: float) -> float | None:
        """When the node next climbs above the uplink mask during this pass (None: it does not)."""
        times = self.track.times_s
        above = (self.track.elevation_deg >= self.settings.uplink_min_elevation_deg) & (times > now_s)
        if not above.any():
            return None
        return float(times[above.argmax()])


def _reason(text: str) -> Reason | None:
    try:
        return Reason(text)
    except ValueError:
        return None
