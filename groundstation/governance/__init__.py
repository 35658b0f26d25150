"""Post-quantum governance: council keys, rosters, signed packets and the node-side verifier.

This package is self-contained (only `cryptography` and the standard library) so that flight
software and the node simulator can use the verifier alone; an import-linter contract keeps it
from importing the rest of groundstation.

Ground side::

    key = SigningKey.generate(Algorithm.ML_DSA_65)              # or KeyStore(dir).load(name, passphrase)
    roster = Roster(epoch=1, algorithm=Algorithm.ML_DSA_65, quorum=3, members=(Member("alice", pk), ...))
    packet = build_packet(roster, Target.node("sat-1"), Command.create("set_mode", {"mode": "safe"}),
                          sequence=7, valid_from=now, valid_for=timedelta(hours=1))
    packet = approve(packet, key, roster)                       # once per council member
    data = packet.encode()                                      # Packet.decode(data) reads it back

Node side::

    verifier = NodeVerifier(NodeIdentity("sat-1", frozenset({"leo-a"})), roster, state_dir)
    verdict = verifier.verify(data, now)                        # or clock=...; persists anti-replay
    if verdict.accepted: act on verdict.payload                 # else verdict.reason: Reason
"""

from groundstation.governance.algorithms import Algorithm
from groundstation.governance.keys import PublicKey, SigningKey
from groundstation.governance.packet import Approval, Header, Packet, PayloadType, Target, TargetKind
from groundstation.governance.payloads import (
    Command,
    Decision,
    KeyRevocation,
    Payload,
    PolicyUpdate,
    Proposal,
    RosterRotation,
    Vote,
    decode_payload,
)
from groundstation.governance.reasons import DecodeError, Reason
from groundstation.governance.roster import Member, Roster
from groundstation.governance.signing import approve, build_packet, has_quorum, sign_approval
from groundstation.governance.verifier import NodeIdentity, NodeVerifier, Verdict

__all__ = [
    "Algorithm",
    "Approval",
    "Command",
    "Decision",
    "DecodeError",
    "Header",
    "KeyRevocation",
    "Member",
    "NodeIdentity",
    "NodeVerifier",
    "Packet",
    "Payload",
    "PayloadType",
    "PolicyUpdate",
    "Proposal",
    "PublicKey",
    "Reason",
    "Roster",
    "RosterRotation",
    "SigningKey",
    "Target",
    "TargetKind",
    "Verdict",
    "Vote",
    "approve",
    "build_packet",
    "decode_payload",
    "has_quorum",
    "sign_approval",
]
