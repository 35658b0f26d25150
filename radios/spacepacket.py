"""CCSDS Space Packets (CCSDS 133.0-B) as the payload container, built and read with `spacepackets`."""

from __future__ import annotations

from dataclasses import dataclass

from spacepackets.ccsds.spacepacket import (
    MAX_APID,
    MAX_SEQ_COUNT,
    SPACE_PACKET_HEADER_SIZE,
    PacketType,
    SpacePacket,
    SpacePacketHeader,
)

MAX_DATA_BYTES = 65_536  # the 16-bit length field holds len - 1


class SpacePacketError(ValueError):
    """Bytes that are not one whole Space Packet (the message says why)."""


@dataclass(frozen=True)
class CcsdsPacket:
    """One unsegmented Space Packet: APID, sequence count, telecommand or telemetry, user data."""

    apid: int
    seq_count: int
    data: bytes
    telecommand: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.apid <= MAX_APID:
            raise SpacePacketError(f"APID {self.apid} not in 0-{MAX_APID}")
        if not 0 <= self.seq_count <= MAX_SEQ_COUNT:
            raise SpacePacketError(f"sequence count {self.seq_count} not in 0-{MAX_SEQ_COUNT}")
        if not 1 <= len(self.data) <= MAX_DATA_BYTES:
            raise SpacePacketError(f"{len(self.data)} bytes of data, want 1 to {MAX_DATA_BYTES}")

    def pack(self) -> bytes:
        kind = PacketType.TC if self.telecommand else PacketType.TM
        # spacepackets does not derive the length field from the data: it holds len - 1.
        header = SpacePacketHeader(packet_type=kind, apid=self.apid, seq_count=self.seq_count,
                                   data_len=len(self.data) - 1)
        return bytes(SpacePacket(header, None, self.data).pack())

    @classmethod
    def unpack(cls, raw: bytes) -> CcsdsPacket:
        if len(raw) < SPACE_PACKET_HEADER_SIZE + 1:
            raise SpacePacketError(f"{len(raw)} bytes is shorter than a Space Packet header and one byte")
        header = SpacePacketHeader.unpack(raw)
        if header.ccsds_version != 0:
            raise SpacePacketError(f"packet version {header.ccsds_version}, want 0")
        if header.packet_len != len(raw):
            raise SpacePacketError(f"length field says {header.packet_len} bytes, got {len(raw)}")
        return cls(header.apid, header.seq_count, bytes(raw[SPACE_PACKET_HEADER_SIZE:]),
                   header.packet_type == PacketType.TC)
