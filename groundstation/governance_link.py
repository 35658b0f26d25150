"""A signed governance packet over a link: cut into frames of the link's MTU, reassembled with a
bounded reassembler on the node, and verified exactly once when complete.

Each frame is a CCSDS Space Packet carrying one segment (radios.segmentation). On a CCSDS TC link
the Space Packet travels in a TC transfer frame (5-byte primary header, 2-byte FECF); on AX.25 it
is the information field. So a 1024-byte TC frame carries 1024 − 7 − 6 − 17 = 994 packet bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from groundstation.governance.packet import Packet
from groundstation.governance.verifier import NodeVerifier, Verdict
from radios.segmentation import DATA_HEADER_BYTES, MTU_AX25, MTU_CCSDS_TC, Reassembler, segment
from radios.spacepacket import CcsdsPacket, SpacePacketError

SPACE_PACKET_HEADER_BYTES = 6
TC_FRAME_OVERHEAD_BYTES = 5 + 2  # TC transfer frame primary header + frame error control field
GOVERNANCE_APID = 0x47  # "G"


@dataclass(frozen=True)
class LinkProfile:
    name: str
    frame_bytes: int  # the MTU: one link frame
    frame_overhead_bytes: int  # framing around the Space Packet inside one frame

    @property
    def space_packet_bytes(self) -> int:
        return self.frame_bytes - self.frame_overhead_bytes

    @property
    def payload_bytes_per_frame(self) -> int:
        return self.space_packet_bytes - SPACE_PACKET_HEADER_BYTES - DATA_HEADER_BYTES

    def frames_needed(self, packet_bytes: int) -> int:
        return -(-packet_bytes // self.payload_bytes_per_frame)


AX25 = LinkProfile("ax25", MTU_AX25, 0)
CCSDS_TC = LinkProfile("ccsds-tc", MTU_CCSDS_TC, TC_FRAME_OVERHEAD_BYTES)


def uplink_frames(
    packet: Packet | bytes,
    profile: LinkProfile,
    *,
    transfer_id: int,
    channel: int = 0,
    apid: int = GOVERNANCE_APID,
) -> list[bytes]:
    """The Space Packets (one per link frame, each at most `profile.space_packet_bytes`) that carry
    the encoded `packet`. Their sequence counts number the frames of this transfer."""
    data = packet.encode() if isinstance(packet, Packet) else bytes(packet)
    segments = segment(
        data,
        mtu=profile.space_packet_bytes - SPACE_PACKET_HEADER_BYTES,
        channel=channel,
        transfer_id=transfer_id,
    )
    return [CcsdsPacket(apid, s.index & 0x3FFF, s.encode()).pack() for s in segments]


class GovernanceReceiver:
    """Node side: Space Packets in, one Verdict out per completed packet (None until then).

    Reassembly is bounded (one transfer per channel, `max_packet_bytes`, dropped after `timeout_s`
    without a segment); a transfer completed once is never verified again, even if its frames are
    sent again. Acknowledgements and repeat requests come from `reassembler.requests(now_s)`.
    """

    def __init__(
        self,
        verifier: NodeVerifier,
        *,
        profile: LinkProfile = CCSDS_TC,
        max_packet_bytes: int = 64 * 1024,
        timeout_s: float = 120.0,
        apid: int = GOVERNANCE_APID,
    ) -> None:
        self.verifier = verifier
        self.apid = apid
        self.reassembler = Reassembler(
            max_payload_bytes=max_packet_bytes, timeout_s=timeout_s, mtu=profile.space_packet_bytes
        )
        self.verifications = 0
        self.foreign = 0  # well-formed Space Packets for another APID, or not Space Packets at all
        self.last_packet: bytes | None = None  # the bytes behind the latest verdict, for reports

    def receive(self, space_packet: bytes, now: datetime) -> Verdict | None:
        try:
            container = CcsdsPacket.unpack(space_packet)
        except SpacePacketError:
            self.foreign += 1
            return None
        if container.apid != self.apid or not container.telecommand:
            self.foreign += 1
            return None
        done = self.reassembler.receive(container.data, now.timestamp())
        if done is None:
            return None
        self.verifications += 1
        self.last_packet = done.payload
        return self.verifier.verify(done.payload, now)
