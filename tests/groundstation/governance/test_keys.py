"""Keys: SPKI encoding and key ids against cryptography's own DER, PKCS#8 storage, composites."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import serialization

from groundstation.governance.algorithms import Algorithm, parse_spki_der
from groundstation.governance.backends import verify_signature
from groundstation.governance.keys import PublicKey, SigningKey

PLAIN = [Algorithm.ML_DSA_44, Algorithm.ML_DSA_65, Algorithm.ML_DSA_87]


@pytest.mark.parametrize("algorithm", PLAIN, ids=lambda a: a.label)
def test_spki_and_key_id_match_cryptography(algorithm: Algorithm):
    key = SigningKey.generate(algorithm)
    der = serialization.load_pem_public_key(key.public_key.to_pem()).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert der == key.public_key.spki_der()
    assert key.public_key.key_id == hashlib.sha256(der).digest()


@pytest.mark.parametrize("algorithm", list(Algorithm), ids=lambda a: a.label)
def test_encrypted_pem_round_trip_and_wrong_passphrase(algorithm: Algorithm):
    key = SigningKey.generate(algorithm)
    pem = key.to_pem(b"correct horse")
    assert SigningKey.pem_is_encrypted(pem)
    assert SigningKey.from_pem(pem, b"correct horse").public_key == key.public_key
    with pytest.raises(ValueError, match="cannot decrypt"):
        SigningKey.from_pem(pem, b"wrong")
    with pytest.raises(ValueError, match="encrypted"):
        SigningKey.from_pem(pem, None)
    assert PublicKey.from_pem(key.public_key.to_pem()) == key.public_key


def test_private_key_is_stored_in_seed_form():
    key = SigningKey.generate(Algorithm.ML_DSA_65)
    der = serialization.load_pem_private_key(key.to_pem(None), None).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert len(der) == 54  # PKCS#8 seed form: 32-byte seed, not the 4032-byte expanded key
    assert b"-----BEGIN PRIVATE KEY-----" in key.to_pem(None)


def test_repr_never_shows_key_material():
    key = SigningKey.generate(Algorithm.ML_DSA_65)
    seedless = repr(key)
    assert "key_id=" in seedless
    assert len(seedless) < 80


@pytest.mark.parametrize(
    "algorithm", [Algorithm.ML_DSA_44_ED25519, Algorithm.ML_DSA_65_ED25519], ids=lambda a: a.label
)
def test_composite_needs_both_components(algorithm: Algorithm):
    key = SigningKey.generate(algorithm)
    message, context = b"governance", b"ctx"
    signature = key.sign(message, context)
    assert len(signature) == algorithm.signature_bytes
    assert verify_signature(algorithm, key.public_key.raw, signature, message, context)
    cut = algorithm.spec.mldsa_signature_bytes
    broken_ed = signature[:cut] + bytes(64)
    other = SigningKey.generate(algorithm).sign(message, context)
    broken_ml = other[:cut] + signature[cut:]
    assert not verify_signature(algorithm, key.public_key.raw, broken_ed, message, context)
    assert not verify_signature(algorithm, key.public_key.raw, broken_ml, message, context)
    assert parse_spki_der(key.public_key.spki_der()) == (algorithm, key.public_key.raw)


def test_spki_parser_is_strict():
    key = SigningKey.generate(Algorithm.ML_DSA_44)
    der = key.public_key.spki_der()
    for bad in (der[:-1], der + b"\x00", b"\x31" + der[1:]):
        with pytest.raises(ValueError, match="SubjectPublicKeyInfo"):
            parse_spki_der(bad)
