"""The demo's governance: a 3-of-5 ML-DSA-65 council with keys derived from the seed, and the packets
`sim run` queues, two of which the nodes must refuse.

Keys come from the seed (FIPS 204 seeds hashed from it), so a seed names one council. Signatures
stay randomized (ML-DSA signing is hedged), which changes only the signature bytes on the air: the
uplink has at least 15 dB of margin over the modem's threshold, so no uplink frame's fate hangs on them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from groundstation.governance.algorithms import Algorithm
from groundstation.governance.keys import SigningKey
from groundstation.governance.packet import Approval, Packet, Target
from groundstation.governance.payloads import Command, KeyRevocation, Payload, PolicyUpdate, RosterRotation
from groundstation.governance.roster import Member, Roster
from groundstation.governance.signing import approve, build_packet

ALGORITHM = Algorithm.ML_DSA_65
MEMBERS = ("alice", "bob", "carol", "dave", "erin")
REPLACEMENT = "frank"  # joins at the roster rotation, in place of erin (whose key is revoked)
QUORUM = 3
FLEET_GROUP = "fleet"


def _key(seed: int, name: str) -> SigningKey:
    material = hashlib.sha256(f"groundstation-sim/{seed}/{name}".encode()).digest()
    return SigningKey.from_seed(ALGORITHM, material)


@dataclass(frozen=True)
class Council:
    keys: dict[str, SigningKey]
    roster: Roster

    @classmethod
    def demo(cls, seed: int) -> Council:
        keys = {name: _key(seed, name) for name in (*MEMBERS, REPLACEMENT)}
        members = tuple(Member(name, keys[name].public_key) for name in MEMBERS)
        return cls(keys, Roster(1, ALGORITHM, QUORUM, members))

    def rotated(self) -> Roster:
        """Epoch 2: erin replaced by frank."""
        names = (*MEMBERS[:-1], REPLACEMENT)
        return Roster(2, ALGORITHM, QUORUM, tuple(Member(n, self.keys[n].public_key) for n in names))

    def sign(self, packet: Packet, roster: Roster, signers: tuple[str, ...]) -> Packet:
        for name in signers:
            packet = approve(packet, self.keys[name], roster)
        return packet


@dataclass(frozen=True)
class QueuedPacket:
    """One packet `sim run` queues, for one node, and what should become of it."""

    node: str
    packet: Packet
    label: str
    expected: str  # "accepted", "rejected: <reason>", or "expired"


def demo_packets(
    council: Council, nodes: tuple[str, ...], start: datetime, valid_for: timedelta
) -> list[QueuedPacket]:
    """Eight packets over the first four nodes (fewer nodes: they wrap): five valid ones (mode,
    telemetry rate, key revocation, roster rotation, a command under the new roster), a replay of
    the first, a forgery, and one whose validity ended before the run began."""
    a, b, c, d = (nodes[i % len(nodes)] for i in range(4))
    roster = council.roster
    majority = MEMBERS[:QUORUM]

    def packet(
        node: str,
        payload: Payload,
        sequence: int,
        *,
        roster: Roster = roster,
        valid_from: datetime = start,
        duration: timedelta = valid_for,
    ) -> Packet:
        unsigned = build_packet(
            roster, Target.node(node), payload, sequence=sequence, valid_from=valid_from, valid_for=duration
        )
        return council.sign(
            unsigned, roster, majority if roster.epoch == 1 else (MEMBERS[1], MEMBERS[2], REPLACEMENT)
        )

    first = packet(a, Command.create("set_mode", {"mode": "payload"}), 1)
    forged = build_packet(
        roster,
        Target.node(c),
        Command.create("set_mode", {"mode": "safe"}),
        sequence=100,
        valid_from=start,
        valid_for=valid_for,
    )
    for index, name in enumerate(("mallory", "trent", "oscar")):  # not council members
        impostor = _key(0, f"outsider/{name}")
        forged = forged.with_approval(Approval(index, impostor.sign(forged.signed_bytes, forged.context)))
    erin = council.keys["erin"].public_key.key_id
    epoch2 = council.rotated()
    late = packet(
        b,
        PolicyUpdate("low_power_soc_pct", "30"),
        5,
        valid_from=start - timedelta(hours=3),
        duration=timedelta(hours=1),
    )
    return [
        QueuedPacket(a, first, "payload mode", "accepted"),
        QueuedPacket(b, packet(b, Command.create("set_telemetry_period", {"period_s": "20"}), 2),
                     "telemetry every 20 s", "accepted"),
        QueuedPacket(a, first, "replay of the first packet", "rejected: replay"),
        QueuedPacket(c, forged, "forged signatures", "rejected: bad_signature"),
        QueuedPacket(d, packet(d, KeyRevocation(erin, "key lost"), 3), "revoke erin's key", "accepted"),
        QueuedPacket(c, packet(c, RosterRotation(epoch2), 4), "roster rotation to epoch 2", "accepted"),
        QueuedPacket(c, packet(c, Command.create("set_mode", {"mode": "nominal"}), 1, roster=epoch2),
                     "command under the epoch-2 roster", "accepted"),
        QueuedPacket(b, late, "signed for a window already past", "expired"),
    ]  # fmt: skip
