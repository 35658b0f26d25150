"""Governance signatures: keygen/sign/verify per second per parameter set, and the verifier's
overhead over raw `cryptography` calls.

Peer, measured in the same run: `cryptography`'s own ML-DSA verify with the key object already
loaded. Target: checking a 3-of-5 ML-DSA-65 packet (decode, every check, three verifies) costs at
most 1.2x three raw verifies. The durable accept (fsync of the replay state) is printed apart:
it is disk time, not verification.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import mldsa

from groundstation.governance.algorithms import Algorithm
from groundstation.governance.backends import verify_signature
from groundstation.governance.keys import SigningKey
from groundstation.governance.packet import Packet, Target
from groundstation.governance.payloads import Command
from groundstation.governance.roster import Member, Roster
from groundstation.governance.signing import approve, build_packet
from groundstation.governance.verifier import NodeIdentity, NodeVerifier

REPEATS = 7
TARGET_RATIO = 1.2
NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
MESSAGE = b"x" * 256
CONTEXT = b"groundstation/governance/v1/command"
RAW_PUBLIC = {
    Algorithm.ML_DSA_44: mldsa.MLDSA44PublicKey,
    Algorithm.ML_DSA_65: mldsa.MLDSA65PublicKey,
    Algorithm.ML_DSA_87: mldsa.MLDSA87PublicKey,
}


def _best_per_op(functions: Sequence[Callable[[], None]], ops: int) -> list[float]:
    """Best CPU seconds per call of each function, rounds interleaved (fair on a busy machine)."""
    best = [float("inf")] * len(functions)
    for _ in range(REPEATS):
        for index, function in enumerate(functions):
            start = time.process_time()
            for _ in range(ops):
                function()
            best[index] = min(best[index], (time.process_time() - start) / ops)
    return best


def parameter_sets() -> None:
    print(f"{'algorithm':<18}{'keygen/s':>10}{'sign/s':>10}{'verify/s':>10}{'raw verify/s':>14}{'ratio':>7}")
    for algorithm in Algorithm:
        key = SigningKey.generate(algorithm)
        signature = key.sign(MESSAGE, CONTEXT)
        public = key.public_key.raw
        calls: list[Callable[[], None]] = [
            lambda: SigningKey.generate(algorithm),  # noqa: B023 - used inside this iteration only
            lambda: key.sign(MESSAGE, CONTEXT),  # noqa: B023
            lambda: verify_signature(algorithm, public, signature, MESSAGE, CONTEXT),  # noqa: B023
        ]
        raw = ""
        if algorithm in RAW_PUBLIC:
            raw_key = RAW_PUBLIC[algorithm].from_public_bytes(public)
            calls.append(lambda: raw_key.verify(signature, MESSAGE, CONTEXT))  # noqa: B023
        costs = _best_per_op(calls, 40)
        if len(costs) == 4:
            raw = f"{1 / costs[3]:>14.0f}{costs[2] / costs[3]:>7.2f}"
        print(f"{algorithm.label:<18}{1 / costs[0]:>10.0f}{1 / costs[1]:>10.0f}{1 / costs[2]:>10.0f}{raw}")


def packet_overhead() -> float:
    keys = [SigningKey.generate(Algorithm.ML_DSA_65) for _ in range(5)]
    roster = Roster(
        1, Algorithm.ML_DSA_65, 3, tuple(Member(f"m{i}", k.public_key) for i, k in enumerate(keys))
    )

    def signed(sequence: int) -> bytes:
        packet = build_packet(
            roster,
            Target.node("sat-1"),
            Command.create("set_mode", {"mode": "safe"}),
            sequence=sequence,
            valid_from=NOW,
            valid_for=timedelta(hours=1),
        )
        for key in keys[:3]:
            packet = approve(packet, key, roster)
        return packet.encode()

    data = signed(1)
    with tempfile.TemporaryDirectory() as state:
        verifier = NodeVerifier(NodeIdentity("sat-1"), roster, Path(state))
        assert verifier.check(data, NOW).accepted
        packet = Packet.decode(data)
        raw_keys = [mldsa.MLDSA65PublicKey.from_public_bytes(k.public_key.raw) for k in keys[:3]]
        triples = list(zip(raw_keys, [a.signature for a in packet.approvals], strict=True))
        message, context = packet.signed_bytes, packet.context

        def three_raw() -> None:
            for raw_key, signature in triples:
                raw_key.verify(signature, message, context)

        check_s, raw_s = _best_per_op([lambda: verifier.check(data, NOW), three_raw], 60)
        ratio = check_s / raw_s
        print(f"\n3-of-5 ML-DSA-65 packet ({len(data)} bytes):")
        print(f"  verifier check        {check_s * 1e6:8.0f} us  ({1 / check_s:6.0f} packets/s)")
        print(f"  3 raw verifies (peer) {raw_s * 1e6:8.0f} us")
        verdict = "OK" if ratio <= TARGET_RATIO else "OVER TARGET"
        print(f"  ratio {ratio:.3f} (target <= {TARGET_RATIO})  {verdict}")

        packets = [signed(sequence) for sequence in range(2, 42)]
        start = time.perf_counter()
        for item in packets:
            assert verifier.verify(item, NOW).accepted
        durable_s = (time.perf_counter() - start) / len(packets)
        print(f"  durable accept (check + fsync'd replay state, wall clock) {durable_s * 1e6:8.0f} us")
    return ratio


def main() -> int:
    parameter_sets()
    ratio = packet_overhead()
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
