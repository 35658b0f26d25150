"""Fuzz the governance decoders and the node verifier with atheris.

Properties: decoding never raises anything but DecodeError; whatever decodes re-encodes to the
same bytes; the node verifier returns a rejection (never raises, never an internal error) for
every input it is fed.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from groundstation.governance.algorithms import Algorithm
    from groundstation.governance.keys import SigningKey
    from groundstation.governance.packet import Packet, PayloadType
    from groundstation.governance.payloads import decode_payload
    from groundstation.governance.reasons import DecodeError, Reason
    from groundstation.governance.roster import Member, Roster
    from groundstation.governance.verifier import NodeIdentity, NodeVerifier

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
_KEY = SigningKey.from_seed(Algorithm.ML_DSA_44, bytes(32))
_ROSTER = Roster(1, Algorithm.ML_DSA_44, 1, (Member("fuzz", _KEY.public_key),))
_VERIFIER = NodeVerifier(NodeIdentity("sat-1"), _ROSTER, Path(tempfile.mkdtemp(prefix="fuzz-state-")))


def test_one_input(data: bytes) -> None:
    try:
        packet = Packet.decode(data)
    except DecodeError:
        pass
    else:
        assert packet.encode() == data, "decoded packet does not re-encode to its input"
    if data:
        payload_type = PayloadType(1 + data[0] % len(PayloadType))
        try:
            payload = decode_payload(payload_type, data[1:])
        except DecodeError:
            pass
        else:
            assert payload.encode() == data[1:], "decoded payload does not re-encode to its input"
        try:
            roster = Roster.decode(data[1:])
        except DecodeError:
            pass
        else:
            assert roster.encode() == data[1:]
    verdict = _VERIFIER.check(data, NOW)
    assert verdict.reason not in (None, Reason.INTERNAL_ERROR), f"verifier said {verdict}"


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
