"""Composite ML-DSA + Ed25519 signatures (draft-ietf-lamps-pq-composite-sigs-19).

M' = Prefix ‖ Label ‖ len(ctx) ‖ ctx ‖ SHA-512(M). ML-DSA signs M' with context = Label, Ed25519
signs M'. The composite public key is mldsaPK ‖ ed25519PK and the signature mldsaSig ‖ ed25519Sig;
both components must verify.
"""

from __future__ import annotations

import hashlib

from groundstation.governance.algorithms import Algorithm

# "CompositeAlgorithmSignatures2025"
PREFIX = b"CompositeAlgorithmSignatures2025"
MAX_CONTEXT_BYTES = 255


def message_representative(algorithm: Algorithm, message: bytes, context: bytes) -> bytes:
    if not algorithm.is_composite:
        raise ValueError(f"{algorithm.label} is not a composite algorithm")
    if len(context) > MAX_CONTEXT_BYTES:
        raise ValueError(f"context is {len(context)} bytes, at most {MAX_CONTEXT_BYTES}")
    return representative_for_label(algorithm.spec.composite_label, message, context)


def representative_for_label(label: bytes, message: bytes, context: bytes) -> bytes:
    """M' for any composite Label whose pre-hash is SHA-512."""
    if len(context) > MAX_CONTEXT_BYTES:
        raise ValueError(f"context is {len(context)} bytes, at most {MAX_CONTEXT_BYTES}")
    return PREFIX + label + bytes([len(context)]) + context + hashlib.sha512(message).digest()


def split_public_key(algorithm: Algorithm, public_key: bytes) -> tuple[bytes, bytes]:
    cut = algorithm.spec.mldsa_public_key_bytes
    return public_key[:cut], public_key[cut:]


def split_signature(algorithm: Algorithm, signature: bytes) -> tuple[bytes, bytes]:
    cut = algorithm.spec.mldsa_signature_bytes
    return signature[:cut], signature[cut:]
