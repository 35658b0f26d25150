"""Interop both ways with dilithium-py, an independent pure-Python FIPS 204 implementation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from dilithium_py.ml_dsa import ML_DSA_44, ML_DSA_65, ML_DSA_87

from groundstation.governance import composite
from groundstation.governance.algorithms import Algorithm
from groundstation.governance.backends import verify_signature
from groundstation.governance.keys import SigningKey
from groundstation.governance.packet import Approval
from groundstation.governance.roster import Member, Roster
from groundstation.governance.verifier import NodeIdentity, NodeVerifier
from tests.groundstation.governance.conftest import NOW, Council

ORACLE = {Algorithm.ML_DSA_44: ML_DSA_44, Algorithm.ML_DSA_65: ML_DSA_65, Algorithm.ML_DSA_87: ML_DSA_87}
CONTEXTS = [b"", b"groundstation/governance/v1/command", bytes(range(255))]


@pytest.mark.parametrize("algorithm", list(ORACLE), ids=lambda a: a.label)
def test_same_seed_same_public_key(algorithm: Algorithm):
    seed = os.urandom(32)
    oracle_pk, _ = ORACLE[algorithm].key_derive(seed)
    assert SigningKey.from_seed(algorithm, seed).public_key.raw == oracle_pk


@pytest.mark.parametrize("algorithm", list(ORACLE), ids=lambda a: a.label)
@pytest.mark.parametrize("context", CONTEXTS, ids=["no-context", "context", "context-255"])
def test_ours_verified_by_oracle_and_oracle_verified_by_ours(algorithm: Algorithm, context: bytes):
    oracle = ORACLE[algorithm]
    seed = os.urandom(32)
    ours = SigningKey.from_seed(algorithm, seed)
    _, oracle_sk = oracle.key_derive(seed)
    message = b"uplink at AOS+30s" * 7
    other_context = context[:-1] + b"?" if context else b"?"
    our_signature = ours.sign(message, context)
    assert oracle.verify(ours.public_key.raw, message, our_signature, ctx=context)
    assert not oracle.verify(ours.public_key.raw, message, our_signature, ctx=other_context)
    oracle_signature = oracle.sign(oracle_sk, message, ctx=context)
    assert verify_signature(algorithm, ours.public_key.raw, oracle_signature, message, context)
    assert not verify_signature(algorithm, ours.public_key.raw, oracle_signature, message, other_context)


def test_packet_signed_by_the_oracle_is_accepted(tmp_path: Path, council: Council):
    seeds = [os.urandom(32) for _ in range(3)]
    keys = [SigningKey.from_seed(Algorithm.ML_DSA_65, s) for s in seeds]
    roster = Roster(
        1, Algorithm.ML_DSA_65, 3, tuple(Member(f"m{i}", k.public_key) for i, k in enumerate(keys))
    )
    packet = Council(keys, roster).packet(signers=())
    for index, seed in enumerate(seeds):
        _, oracle_sk = ML_DSA_65.key_derive(seed)
        packet = packet.with_approval(
            Approval(index, ML_DSA_65.sign(oracle_sk, packet.signed_bytes, ctx=packet.context))
        )
    verifier = NodeVerifier(NodeIdentity("sat-1"), roster, tmp_path)
    assert verifier.verify(packet.encode(), NOW).accepted


def test_packet_signatures_verified_by_the_oracle(council: Council):
    packet = council.packet()
    for approval in packet.approvals:
        public = council.roster.members[approval.signer_index].public_key.raw
        assert ML_DSA_65.verify(public, packet.signed_bytes, approval.signature, ctx=packet.context)


def test_composite_ml_dsa_component_verified_by_oracle():
    key = SigningKey.generate(Algorithm.ML_DSA_65_ED25519)
    message, context = b"rotate roster", b"groundstation/governance/v1/roster-rotation"
    signature = key.sign(message, context)
    representative = composite.message_representative(Algorithm.ML_DSA_65_ED25519, message, context)
    assert representative.startswith(b"CompositeAlgorithmSignatures2025COMPSIG-MLDSA65-Ed25519-SHA512")
    ml_pk, _ = composite.split_public_key(Algorithm.ML_DSA_65_ED25519, key.public_key.raw)
    ml_sig, _ = composite.split_signature(Algorithm.ML_DSA_65_ED25519, signature)
    assert ML_DSA_65.verify(ml_pk, representative, ml_sig, ctx=b"COMPSIG-MLDSA65-Ed25519-SHA512")
    assert verify_signature(Algorithm.ML_DSA_65_ED25519, key.public_key.raw, signature, message, context)


def test_composite_message_representative_matches_the_drafts_sample():
    # draft-ietf-lamps-pq-composite-sigs, src/messageFormatSample_ctx.md (id-MLDSA65-ECDSA-P256-SHA512).
    sample = (
        "436f6d706f73697465416c676f726974686d5369676e61747572657332303235"
        "434f4d505349472d4d4c44534136352d503235362d534841353132080813061205"
        "1626230f89ee1fcb7b0a4f7809d1267a029719004c5a5e5ec323a7c3523a20974f9"
        "a3f202f56fadba4cd9e8d654ab9f2e96dc5c795ea176fa20ede8d854c342f903533"
    )
    representative = composite.representative_for_label(
        b"COMPSIG-MLDSA65-P256-SHA512", bytes(range(10)), bytes.fromhex("0813061205162623")
    )
    assert representative.hex() == sample
