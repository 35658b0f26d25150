"""A council of five ML-DSA-65 keys with a 3-of-5 roster, and helpers to make signed packets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from groundstation.governance.algorithms import Algorithm
from groundstation.governance.keys import SigningKey
from groundstation.governance.packet import Packet, Target
from groundstation.governance.payloads import Command, Payload
from groundstation.governance.roster import Member, Roster
from groundstation.governance.signing import approve, build_packet
from groundstation.governance.verifier import NodeIdentity, NodeVerifier

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
ONE_HOUR = timedelta(hours=1)


@dataclass
class Council:
    keys: list[SigningKey]
    roster: Roster

    def packet(
        self,
        payload: Payload | None = None,
        *,
        signers: tuple[int, ...] = (0, 1, 2),
        sequence: int = 1,
        target: Target | None = None,
        valid_from: datetime = NOW,
        valid_for: timedelta = ONE_HOUR,
        roster: Roster | None = None,
    ) -> Packet:
        roster = roster or self.roster
        packet = build_packet(
            roster,
            target or Target.node("sat-1"),
            payload or Command.create("set_mode", {"mode": "safe"}),
            sequence=sequence,
            valid_from=valid_from,
            valid_for=valid_for,
        )
        for index in signers:
            packet = approve(packet, self.keys[index], roster)
        return packet


def make_council(
    algorithm: Algorithm = Algorithm.ML_DSA_65, size: int = 5, quorum: int = 3, epoch: int = 1
) -> Council:
    keys = [SigningKey.generate(algorithm) for _ in range(size)]
    members = tuple(Member(f"member{i}", key.public_key) for i, key in enumerate(keys))
    return Council(keys, Roster(epoch, algorithm, quorum, members))


@pytest.fixture(scope="module")
def council() -> Council:
    return make_council()


@pytest.fixture
def verifier(council: Council, tmp_path: Path) -> NodeVerifier:
    return NodeVerifier(NodeIdentity("sat-1", frozenset({"leo-a"})), council.roster, tmp_path / "state")
