"""Council keys: public keys (SPKI) with their key ids, and signing keys (PKCS#8 seed form).

A composite (ML-DSA + Ed25519) signing key is stored as two PKCS#8 PEM blocks in one file,
ML-DSA first, both under the same passphrase.
"""

from __future__ import annotations

import base64
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, mldsa

from groundstation.governance import composite
from groundstation.governance.algorithms import (
    MLDSA_SEED_BYTES,
    Algorithm,
    key_id,
    parse_spki_der,
    spki_der,
)

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z ]+)-----\r?\n(.*?)-----END \1-----\r?\n?", re.DOTALL)

_MLDSA_PRIVATE: dict[Algorithm, Any] = {
    Algorithm.ML_DSA_44: mldsa.MLDSA44PrivateKey,
    Algorithm.ML_DSA_65: mldsa.MLDSA65PrivateKey,
    Algorithm.ML_DSA_87: mldsa.MLDSA87PrivateKey,
}


def _mldsa_algorithm(key: object) -> Algorithm | None:
    for algorithm, cls in _MLDSA_PRIVATE.items():
        if isinstance(key, cls):
            return algorithm
    return None


@dataclass(frozen=True)
class PublicKey:
    """A council member's public key: raw FIPS 204 encoding (‖ Ed25519 key for composites)."""

    algorithm: Algorithm
    raw: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.raw) != self.algorithm.public_key_bytes:
            raise ValueError(
                f"{self.algorithm.label} public key must be {self.algorithm.public_key_bytes} bytes, "
                f"got {len(self.raw)}"
            )

    @functools.cached_property
    def key_id(self) -> bytes:
        """SHA-256 of the SubjectPublicKeyInfo DER."""
        return key_id(self.algorithm, self.raw)

    def spki_der(self) -> bytes:
        return spki_der(self.algorithm, self.raw)

    def to_pem(self) -> bytes:
        return _pem("PUBLIC KEY", self.spki_der())

    @classmethod
    def from_spki_der(cls, der: bytes) -> PublicKey:
        algorithm, raw = parse_spki_der(der)
        return cls(algorithm, raw)

    @classmethod
    def from_pem(cls, data: bytes) -> PublicKey:
        blocks = _pem_blocks(data)
        if len(blocks) != 1 or blocks[0][0] != "PUBLIC KEY":
            raise ValueError("expected exactly one PUBLIC KEY PEM block")
        return cls.from_spki_der(blocks[0][1])


class SigningKey:
    """A council member's private key. Never printed: repr shows only the algorithm and key id."""

    def __init__(self, algorithm: Algorithm, mldsa_key: Any, ed25519_key: ed25519.Ed25519PrivateKey | None):
        if algorithm.is_composite != (ed25519_key is not None):
            raise ValueError(f"{algorithm.label}: Ed25519 component must be present exactly for composites")
        self.algorithm = algorithm
        self._mldsa = mldsa_key
        self._ed25519 = ed25519_key
        raw = mldsa_key.public_key().public_bytes_raw()
        if ed25519_key is not None:
            raw += ed25519_key.public_key().public_bytes_raw()
        self.public_key = PublicKey(algorithm, raw)

    def __repr__(self) -> str:
        return f"SigningKey({self.algorithm.label}, key_id={self.public_key.key_id.hex()[:16]}…)"

    @classmethod
    def generate(cls, algorithm: Algorithm = Algorithm.ML_DSA_65) -> SigningKey:
        ed = ed25519.Ed25519PrivateKey.generate() if algorithm.is_composite else None
        return cls(algorithm, _MLDSA_PRIVATE[algorithm.mldsa].generate(), ed)

    @classmethod
    def from_seed(cls, algorithm: Algorithm, seed: bytes, ed25519_private: bytes | None = None) -> SigningKey:
        """Deterministic key from the 32-byte FIPS 204 seed ξ (and the Ed25519 private key for composites)."""
        if len(seed) != MLDSA_SEED_BYTES:
            raise ValueError(f"ML-DSA seed must be {MLDSA_SEED_BYTES} bytes, got {len(seed)}")
        ed = ed25519.Ed25519PrivateKey.from_private_bytes(ed25519_private) if ed25519_private else None
        return cls(algorithm, _MLDSA_PRIVATE[algorithm.mldsa].from_seed_bytes(seed), ed)

    def sign(self, message: bytes, context: bytes) -> bytes:
        """A hedged (randomized) signature over `message` under the FIPS 204 `context`."""
        if not self.algorithm.is_composite:
            return bytes(self._mldsa.sign(message, context))
        assert self._ed25519 is not None
        representative = composite.message_representative(self.algorithm, message, context)
        ml = self._mldsa.sign(representative, self.algorithm.spec.composite_label)
        return bytes(ml) + self._ed25519.sign(representative)

    def to_pem(self, passphrase: bytes | None) -> bytes:
        """PKCS#8 (seed form) PEM, encrypted unless `passphrase` is None."""
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
        )
        if passphrase is not None and not passphrase:
            raise ValueError("empty passphrase")
        keys: list[Any] = [self._mldsa] + ([self._ed25519] if self._ed25519 is not None else [])
        return b"".join(
            k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
            for k in keys
        )

    @classmethod
    def from_pem(cls, data: bytes, passphrase: bytes | None) -> SigningKey:
        blocks = _pem_blocks(data)
        labels = {label for label, _ in blocks}
        if not blocks or not labels <= {"PRIVATE KEY", "ENCRYPTED PRIVATE KEY"} or len(blocks) > 2:
            raise ValueError("expected one or two PKCS#8 PEM blocks")
        if "ENCRYPTED PRIVATE KEY" in labels and not passphrase:
            raise ValueError("the key is encrypted and no passphrase was given")
        if labels == {"PRIVATE KEY"} and passphrase:
            raise ValueError("the key is not encrypted but a passphrase was given")
        try:
            loaded = [
                serialization.load_der_private_key(der, passphrase if label.startswith("ENCRYPTED") else None)
                for label, der in blocks
            ]
        except ValueError as exc:
            # A wrong passphrase sometimes decrypts to garbage instead of failing the padding check.
            raise ValueError("cannot decrypt the private key (wrong passphrase?) or it is damaged") from exc
        algorithm = _mldsa_algorithm(loaded[0])
        if algorithm is None:
            raise ValueError(f"first key is {type(loaded[0]).__name__}, not ML-DSA")
        if len(loaded) == 1:
            return cls(algorithm, loaded[0], None)
        if not isinstance(loaded[1], ed25519.Ed25519PrivateKey):
            raise ValueError(f"second key is {type(loaded[1]).__name__}, not Ed25519")
        composite_alg = {
            Algorithm.ML_DSA_44: Algorithm.ML_DSA_44_ED25519,
            Algorithm.ML_DSA_65: Algorithm.ML_DSA_65_ED25519,
        }.get(algorithm)
        if composite_alg is None:
            raise ValueError(f"no composite of {algorithm.label} with Ed25519 is defined")
        return cls(composite_alg, loaded[0], loaded[1])

    @staticmethod
    def pem_is_encrypted(data: bytes) -> bool:
        return any(label == "ENCRYPTED PRIVATE KEY" for label, _ in _pem_blocks(data))


def _pem(label: str, der: bytes) -> bytes:
    body = base64.b64encode(der)
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        b"-----BEGIN "
        + label.encode()
        + b"-----\n"
        + b"\n".join(lines)
        + b"\n-----END "
        + label.encode()
        + b"-----\n"
    )


def _pem_blocks(data: bytes) -> list[tuple[str, bytes]]:
    blocks = []
    for match in _PEM_BLOCK.finditer(data):
        try:
            der = base64.b64decode(b"".join(match.group(2).split()), validate=True)
        except ValueError as exc:
            raise ValueError(f"bad base64 in PEM block {match.group(1).decode()}") from exc
        blocks.append((match.group(1).decode(), der))
    return blocks
