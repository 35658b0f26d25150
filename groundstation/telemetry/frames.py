"""Received telemetry frames and decoded parameter samples (frozen values)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import datetime

from groundstation.clock import require_utc

SPACE_PACKET_HEADER_BYTES = 6


class FrameError(ValueError):
    """A byte string is not a well-formed packet."""


@dataclass(frozen=True)
class Reception:
    """How and where a frame was received."""

    station: str
    time: datetime
    frequency_hz: float
    snr_db: float | None
    decoder: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "time", require_utc(self.time, "reception time"))


@dataclass(frozen=True)
class TelemetryFrame:
    """One telemetry packet from one node: its APID and packet data field, as received."""

    node: str
    apid: int
    data: bytes
    reception: Reception
    sequence_count: int | None = None

    @classmethod
    def from_space_packet(cls, node: str, packet: bytes, reception: Reception) -> TelemetryFrame:
        """Split a CCSDS Space Packet (133.0-B) into APID and data field, checking its header."""
        if len(packet) < SPACE_PACKET_HEADER_BYTES + 1:
            raise FrameError(f"space packet of {len(packet)} bytes is shorter than header + 1")
        word0, word1, data_len = struct.unpack(">HHH", packet[:SPACE_PACKET_HEADER_BYTES])
        version = word0 >> 13
        if version != 0:
            raise FrameError(f"space packet version {version} (expected 0)")
        if word0 & 0x1000:
            raise FrameError("telecommand packet (type bit set) on the telemetry path")
        expected = SPACE_PACKET_HEADER_BYTES + data_len + 1
        if len(packet) != expected:
            raise FrameError(f"space packet length field says {expected} bytes, got {len(packet)}")
        return cls(
            node=node,
            apid=word0 & 0x7FF,
            data=bytes(packet[SPACE_PACKET_HEADER_BYTES:]),
            reception=reception,
            sequence_count=word1 & 0x3FFF,
        )


@dataclass(frozen=True)
class ParameterSample:
    """One decoded value: raw as transmitted, engineering after calibration, label for enums/bools."""

    node: str
    parameter: str
    time: datetime
    raw_value: float
    eng_value: float
    text: str | None = None
    unit: str = ""

    @property
    def display(self) -> str:
        return self.text if self.text is not None else f"{self.eng_value:.6g}"
