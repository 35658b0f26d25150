"""What travels over a node's UHF link, on both ends: AX.25 UI frames whose information field is
one CCSDS Space Packet.

Uplink (station → node): telecommand packets of APID 0x47 carrying governance segments
(groundstation.governance_link). Downlink (node → station): telemetry packets (the dictionary's
APIDs), and telemetry packets of APID 0x47 carrying the node's segmentation requests and
acknowledgements (radios.segmentation). Callsigns: nodes `N<catalog number>`, stations the first
six letters or digits of their name, beacons to `GSNET`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from groundstation.governance.packet import Packet
from groundstation.governance.reasons import DecodeError
from groundstation.governance_link import GOVERNANCE_APID
from radios.segmentation import SegmentError, SegmentRequest, decode_message
from radios.spacepacket import CcsdsPacket, SpacePacketError

BEACON_DESTINATION = "GSNET"
_NOT_CALLSIGN = re.compile(r"[^A-Z0-9]")


def node_callsign(norad_id: int) -> str:
    call = f"N{norad_id}"
    if len(call) > 6:
        raise ValueError(f"catalog number {norad_id} does not fit an AX.25 callsign")
    return call


def station_callsign(name: str) -> str:
    call = _NOT_CALLSIGN.sub("", name.upper())[:6]
    if not call:
        raise ValueError(f"station name {name!r} has no letters or digits for a callsign")
    return call


def request_packet(request: SegmentRequest, sequence_count: int) -> bytes:
    """A node's segmentation REQUEST (or ACK) as a telemetry Space Packet."""
    return CcsdsPacket(GOVERNANCE_APID, sequence_count & 0x3FFF, request.encode(), telecommand=False).pack()


@dataclass(frozen=True)
class Downlink:
    """A downlink information field, sorted: telemetry to decode, or a segmentation request."""

    apid: int
    packet: bytes
    request: SegmentRequest | None = None

    @property
    def is_request(self) -> bool:
        return self.request is not None


def classify_downlink(info: bytes) -> Downlink | None:
    """None for anything that is not a telemetry Space Packet (or a malformed request)."""
    try:
        container = CcsdsPacket.unpack(info)
    except SpacePacketError:
        return None
    if container.telecommand:
        return None
    if container.apid != GOVERNANCE_APID:
        return Downlink(container.apid, bytes(info))
    try:
        message = decode_message(container.data)
    except SegmentError:
        return None
    if not isinstance(message, SegmentRequest):
        return None
    return Downlink(container.apid, bytes(info), message)


def report_id(data: bytes) -> int:
    """How a node names a packet in its governance report: the first 4 bytes (big-endian) of its
    content id (SHA-256 of the signed content, the same whatever signatures it carries), or of
    SHA-256 over the raw bytes when they do not decode as a packet."""
    try:
        digest = Packet.decode(data).content_id
    except DecodeError:
        digest = hashlib.sha256(data).digest()
    return int.from_bytes(digest[:4], "big")
