"""Signature algorithms the governance format knows, with their fixed sizes and key encodings.

Wire ids are part of the packet format (version 1) and never change meaning. The composite
ids follow draft-ietf-lamps-pq-composite-sigs-19 (ML-DSA + Ed25519, SHA-512 pre-hash).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import IntEnum


class Algorithm(IntEnum):
    ML_DSA_44 = 0x01
    ML_DSA_65 = 0x02
    ML_DSA_87 = 0x03
    ML_DSA_44_ED25519 = 0x11
    ML_DSA_65_ED25519 = 0x12

    @property
    def spec(self) -> AlgorithmSpec:
        return _SPECS[self]

    @property
    def label(self) -> str:
        """Human name, as the CLI and JSON use it ("ML-DSA-65", "MLDSA65-Ed25519")."""
        return _SPECS[self].label

    @property
    def is_composite(self) -> bool:
        return _SPECS[self].ed25519

    @property
    def mldsa(self) -> Algorithm:
        """The ML-DSA parameter set inside (itself for plain ML-DSA)."""
        return _SPECS[self].mldsa

    @property
    def public_key_bytes(self) -> int:
        return _SPECS[self].public_key_bytes

    @property
    def signature_bytes(self) -> int:
        return _SPECS[self].signature_bytes

    @classmethod
    def from_label(cls, text: str) -> Algorithm:
        for algorithm, spec in _SPECS.items():
            if text.strip().upper() == spec.label.upper():
                return algorithm
        names = ", ".join(spec.label for spec in _SPECS.values())
        raise ValueError(f"unknown algorithm {text!r} (known: {names})")


@dataclass(frozen=True)
class AlgorithmSpec:
    label: str
    mldsa: Algorithm
    mldsa_public_key_bytes: int
    mldsa_signature_bytes: int
    ed25519: bool
    oid: str  # SubjectPublicKeyInfo algorithm OID (FIPS 204 CSOR arc, or the composite draft's)
    composite_label: bytes = b""  # draft-19 Label, the ML-DSA context inside a composite signature

    @property
    def public_key_bytes(self) -> int:
        return self.mldsa_public_key_bytes + (ED25519_PUBLIC_KEY_BYTES if self.ed25519 else 0)

    @property
    def signature_bytes(self) -> int:
        return self.mldsa_signature_bytes + (ED25519_SIGNATURE_BYTES if self.ed25519 else 0)


ED25519_PUBLIC_KEY_BYTES = 32
ED25519_SIGNATURE_BYTES = 64
MLDSA_SEED_BYTES = 32
KEY_ID_BYTES = 32

_SPECS: dict[Algorithm, AlgorithmSpec] = {
    Algorithm.ML_DSA_44: AlgorithmSpec(
        "ML-DSA-44", Algorithm.ML_DSA_44, 1312, 2420, False, "2.16.840.1.101.3.4.3.17"
    ),
    Algorithm.ML_DSA_65: AlgorithmSpec(
        "ML-DSA-65", Algorithm.ML_DSA_65, 1952, 3309, False, "2.16.840.1.101.3.4.3.18"
    ),
    Algorithm.ML_DSA_87: AlgorithmSpec(
        "ML-DSA-87", Algorithm.ML_DSA_87, 2592, 4627, False, "2.16.840.1.101.3.4.3.19"
    ),
    Algorithm.ML_DSA_44_ED25519: AlgorithmSpec(
        "MLDSA44-Ed25519",
        Algorithm.ML_DSA_44,
        1312,
        2420,
        True,
        "1.3.6.1.5.5.7.6.39",
        b"COMPSIG-MLDSA44-Ed25519-SHA512",
    ),
    Algorithm.ML_DSA_65_ED25519: AlgorithmSpec(
        "MLDSA65-Ed25519",
        Algorithm.ML_DSA_65,
        1952,
        3309,
        True,
        "1.3.6.1.5.5.7.6.48",
        b"COMPSIG-MLDSA65-Ed25519-SHA512",
    ),
}

ALGORITHM_LABELS: tuple[str, ...] = tuple(spec.label for spec in _SPECS.values())


# --- SubjectPublicKeyInfo: every key size is fixed, so the DER is a fixed prefix + the raw key.


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _der_oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    body = bytearray([40 * parts[0] + parts[1]])
    for value in parts[2:]:
        chunk = [value & 0x7F]
        value >>= 7
        while value:
            chunk.append(0x80 | (value & 0x7F))
            value >>= 7
        body.extend(reversed(chunk))
    return b"\x06" + _der_length(len(body)) + bytes(body)


def _spki_prefix(spec: AlgorithmSpec) -> bytes:
    algorithm_id = _der_oid(spec.oid)
    algorithm_seq = b"\x30" + _der_length(len(algorithm_id)) + algorithm_id
    bit_string_len = 1 + spec.public_key_bytes
    bit_string_head = b"\x03" + _der_length(bit_string_len) + b"\x00"
    inner_len = len(algorithm_seq) + len(bit_string_head) + spec.public_key_bytes
    return b"\x30" + _der_length(inner_len) + algorithm_seq + bit_string_head


_SPKI_PREFIX: dict[Algorithm, bytes] = {alg: _spki_prefix(spec) for alg, spec in _SPECS.items()}


def spki_der(algorithm: Algorithm, public_key: bytes) -> bytes:
    """DER SubjectPublicKeyInfo of a raw public key (RFC 9881 for ML-DSA, the draft for composites)."""
    if len(public_key) != algorithm.public_key_bytes:
        raise ValueError(
            f"{algorithm.label} public key must be {algorithm.public_key_bytes} bytes, got {len(public_key)}"
        )
    return _SPKI_PREFIX[algorithm] + public_key


def parse_spki_der(der: bytes) -> tuple[Algorithm, bytes]:
    """The algorithm and raw public key of a DER SubjectPublicKeyInfo; strict (exact prefix and length)."""
    for algorithm, prefix in _SPKI_PREFIX.items():
        if der.startswith(prefix) and len(der) == len(prefix) + algorithm.public_key_bytes:
            return algorithm, der[len(prefix) :]
    raise ValueError("not a SubjectPublicKeyInfo of a supported algorithm (or wrong length)")


def key_id(algorithm: Algorithm, public_key: bytes) -> bytes:
    """Key id: SHA-256 of the SubjectPublicKeyInfo DER."""
    return hashlib.sha256(spki_der(algorithm, public_key)).digest()
