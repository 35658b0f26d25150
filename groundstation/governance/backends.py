"""Signature verification backends: `cryptography` (default) and, when liboqs is installed, liboqs.

Both give the same answers on the same wire bytes; the choice never changes the format.
"""

from __future__ import annotations

import ctypes.util
import functools
import os
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519, mldsa

from groundstation.governance import composite
from groundstation.governance.algorithms import Algorithm


class Backend(Protocol):
    name: str

    def verify_mldsa(
        self, algorithm: Algorithm, public_key: bytes, signature: bytes, message: bytes, context: bytes
    ) -> bool:
        """FIPS 204 ML-DSA.Verify (pure, with context); False on any failure, never raises."""
        ...


_MLDSA_PUBLIC: dict[Algorithm, Any] = {
    Algorithm.ML_DSA_44: mldsa.MLDSA44PublicKey,
    Algorithm.ML_DSA_65: mldsa.MLDSA65PublicKey,
    Algorithm.ML_DSA_87: mldsa.MLDSA87PublicKey,
}


@functools.lru_cache(maxsize=512)
def _load_mldsa_public(algorithm: Algorithm, public_key: bytes) -> Any:
    return _MLDSA_PUBLIC[algorithm].from_public_bytes(public_key)


class CryptographyBackend:
    """ML-DSA through `cryptography` (bundled OpenSSL)."""

    name = "cryptography"

    def verify_mldsa(
        self, algorithm: Algorithm, public_key: bytes, signature: bytes, message: bytes, context: bytes
    ) -> bool:
        if algorithm.is_composite or len(public_key) != algorithm.public_key_bytes:
            return False
        if len(signature) != algorithm.signature_bytes or len(context) > composite.MAX_CONTEXT_BYTES:
            return False
        try:
            key = _load_mldsa_public(algorithm, bytes(public_key))
            key.verify(bytes(signature), bytes(message), bytes(context))
        except (InvalidSignature, ValueError):
            return False
        return True


def liboqs_available() -> bool:
    """True when the liboqs shared library is installed (checked before ever importing `oqs`:
    without it, `import oqs` tries to download and build liboqs and exits the process)."""
    return ctypes.util.find_library("oqs") is not None or bool(os.environ.get("OQS_INSTALL_PATH"))


class LiboqsBackend:
    """ML-DSA through liboqs-python. Construct only when `liboqs_available()`."""

    name = "liboqs"

    def __init__(self) -> None:
        if not liboqs_available():
            raise RuntimeError("liboqs shared library not found (ctypes.util.find_library('oqs'))")
        import oqs

        self._oqs = oqs

    def verify_mldsa(
        self, algorithm: Algorithm, public_key: bytes, signature: bytes, message: bytes, context: bytes
    ) -> bool:
        if algorithm.is_composite or len(public_key) != algorithm.public_key_bytes:
            return False
        if len(signature) != algorithm.signature_bytes or len(context) > composite.MAX_CONTEXT_BYTES:
            return False
        try:
            with self._oqs.Signature(algorithm.label) as verifier:
                return bool(verifier.verify_with_ctx_str(message, signature, context, public_key))
        except Exception:  # liboqs reports failures in several ways; every one is a rejection
            return False


DEFAULT_BACKEND: Backend = CryptographyBackend()


def available_backends() -> tuple[Backend, ...]:
    backends: list[Backend] = [DEFAULT_BACKEND]
    if liboqs_available():
        backends.append(LiboqsBackend())
    return tuple(backends)


def verify_signature(
    algorithm: Algorithm,
    public_key: bytes,
    signature: bytes,
    message: bytes,
    context: bytes,
    backend: Backend = DEFAULT_BACKEND,
) -> bool:
    """Verify one signature of `algorithm` (plain ML-DSA or composite); False on any failure."""
    if len(public_key) != algorithm.public_key_bytes or len(signature) != algorithm.signature_bytes:
        return False
    if len(context) > composite.MAX_CONTEXT_BYTES:
        return False
    if not algorithm.is_composite:
        return backend.verify_mldsa(algorithm, public_key, signature, message, context)
    mldsa_pk, ed_pk = composite.split_public_key(algorithm, public_key)
    mldsa_sig, ed_sig = composite.split_signature(algorithm, signature)
    representative = composite.message_representative(algorithm, message, context)
    if not backend.verify_mldsa(
        algorithm.mldsa, mldsa_pk, mldsa_sig, representative, algorithm.spec.composite_label
    ):
        return False
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(ed_pk).verify(ed_sig, representative)
    except (InvalidSignature, ValueError):
        return False
    return True
