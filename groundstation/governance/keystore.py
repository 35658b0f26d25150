"""Ground side: a directory of council keys. Private keys are PKCS#8 PEM files written with mode
0600 (encrypted unless the caller explicitly chose not to), public keys SPKI PEM beside them."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from groundstation.governance.keys import PublicKey, SigningKey

KEY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
PRIVATE_SUFFIX = ".key.pem"
PUBLIC_SUFFIX = ".pub.pem"


class KeyStoreError(ValueError):
    """A one-line problem with the key store (missing key, bad name, existing file, bad passphrase)."""


@dataclass(frozen=True)
class StoredKey:
    name: str
    public_key: PublicKey
    encrypted: bool


class KeyStore:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def private_path(self, name: str) -> Path:
        return self.directory / (_checked(name) + PRIVATE_SUFFIX)

    def public_path(self, name: str) -> Path:
        return self.directory / (_checked(name) + PUBLIC_SUFFIX)

    def save(self, name: str, key: SigningKey, passphrase: bytes | None) -> StoredKey:
        """Write both files; never overwrites. `passphrase=None` stores the key unencrypted."""
        private, public = self.private_path(name), self.public_path(name)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        for path in (private, public):
            if path.exists():
                raise KeyStoreError(f"{path}: a key named {name!r} already exists")
        _write_new(private, key.to_pem(passphrase), 0o600)
        _write_new(public, key.public_key.to_pem(), 0o644)
        return StoredKey(name, key.public_key, passphrase is not None)

    def load(self, name: str, passphrase: bytes | None) -> SigningKey:
        path = self.private_path(name)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise KeyStoreError(f"{path}: no key named {name!r}") from exc
        try:
            key = SigningKey.from_pem(data, passphrase)
        except ValueError as exc:
            raise KeyStoreError(f"{path}: {exc}") from exc
        if key.public_key != self.public(name):
            raise KeyStoreError(f"{path}: private key does not match {self.public_path(name).name}")
        return key

    def is_encrypted(self, name: str) -> bool:
        try:
            return SigningKey.pem_is_encrypted(self.private_path(name).read_bytes())
        except FileNotFoundError as exc:
            raise KeyStoreError(f"{self.private_path(name)}: no key named {name!r}") from exc

    def public(self, name: str) -> PublicKey:
        path = self.public_path(name)
        try:
            return PublicKey.from_pem(path.read_bytes())
        except FileNotFoundError as exc:
            raise KeyStoreError(f"{path}: no key named {name!r}") from exc
        except ValueError as exc:
            raise KeyStoreError(f"{path}: {exc}") from exc

    def names(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(p.name.removesuffix(PUBLIC_SUFFIX) for p in self.directory.glob("*" + PUBLIC_SUFFIX))

    def entries(self) -> list[StoredKey]:
        return [StoredKey(n, self.public(n), self.is_encrypted(n)) for n in self.names()]


def _checked(name: str) -> str:
    if not KEY_NAME.fullmatch(name):
        raise KeyStoreError(f"key name {name!r} must match {KEY_NAME.pattern}")
    return name


def _write_new(path: Path, data: bytes, mode: int) -> None:
    # O_EXCL with the mode at creation: the file is never readable by others, not even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(path, mode)  # umask may have narrowed it further; make it exact
