"""The optional liboqs backend: never imported without the shared library; when liboqs is
installed, it agrees with `cryptography` on the same wire bytes, both ways."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from groundstation.governance.algorithms import Algorithm
from groundstation.governance.backends import LiboqsBackend, available_backends, liboqs_available
from groundstation.governance.keys import SigningKey
from groundstation.governance.verifier import NodeIdentity, NodeVerifier
from tests.conftest import REPO
from tests.groundstation.governance.conftest import NOW, Council

PLAIN = [Algorithm.ML_DSA_44, Algorithm.ML_DSA_65, Algorithm.ML_DSA_87]


def test_oqs_is_not_imported_unless_liboqs_is_installed():
    # Importing `oqs` without liboqs tries to download and build it, then exits the process.
    code = (
        "import sys\n"
        "from groundstation.governance import backends, verifier\n"
        "names = [b.name for b in backends.available_backends()]\n"
        "print(backends.liboqs_available(), 'oqs' in sys.modules, names)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    available, imported, names = proc.stdout.split(" ", 2)
    assert imported == str(available == "True")
    assert ("liboqs" in names) == (available == "True")


def test_without_liboqs_the_backend_refuses_to_start():
    if liboqs_available():
        pytest.skip("liboqs is installed here: the refusal path cannot run")
    with pytest.raises(RuntimeError, match="liboqs shared library not found"):
        LiboqsBackend()
    assert [b.name for b in available_backends()] == ["cryptography"]


@pytest.fixture
def oqs_backend() -> LiboqsBackend:
    if not liboqs_available():
        pytest.skip("liboqs shared library not installed (optional backend)")
    return LiboqsBackend()


@pytest.mark.parametrize("algorithm", PLAIN, ids=lambda a: a.label)
def test_liboqs_verifies_our_signatures(oqs_backend: LiboqsBackend, algorithm: Algorithm):
    key = SigningKey.generate(algorithm)
    signature = key.sign(b"message", b"context")
    assert oqs_backend.verify_mldsa(algorithm, key.public_key.raw, signature, b"message", b"context")
    assert not oqs_backend.verify_mldsa(algorithm, key.public_key.raw, signature, b"message", b"other")


def test_node_verifier_on_liboqs(oqs_backend: LiboqsBackend, council: Council, tmp_path: Path):
    verifier = NodeVerifier(NodeIdentity("sat-1"), council.roster, tmp_path, backend=oqs_backend)
    assert verifier.verify(council.packet().encode(), NOW).accepted


@pytest.mark.parametrize("algorithm", PLAIN, ids=lambda a: a.label)
def test_liboqs_signatures_verify_through_cryptography(oqs_backend: LiboqsBackend, algorithm: Algorithm):
    import oqs  # only reached when liboqs is installed (the fixture skips otherwise)

    from groundstation.governance.backends import verify_signature

    with oqs.Signature(algorithm.label) as signer:
        public = signer.generate_keypair()
        signature = signer.sign_with_ctx_str(b"message", b"context")
    assert verify_signature(algorithm, bytes(public), bytes(signature), b"message", b"context")

