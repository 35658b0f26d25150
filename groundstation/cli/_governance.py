"""Shared plumbing of the governance subcommands: where keys, rosters and the audit log live,
passphrases, and reading the files operators pass (errors become one-line InputErrors)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from groundstation import settings
from groundstation.errors import InputError
from groundstation.governance.audit import AuditLog
from groundstation.governance.keys import SigningKey
from groundstation.governance.keystore import KeyStore, KeyStoreError
from groundstation.governance.packet import Packet
from groundstation.governance.reasons import DecodeError
from groundstation.governance.roster import Roster

PASSPHRASE_ENV = "GROUNDSTATION_KEY_PASSPHRASE"
PASSPHRASE_FILE_ENV = "GROUNDSTATION_KEY_PASSPHRASE_FILE"


def keystore() -> KeyStore:
    return KeyStore(settings.data_dir() / "keys")


def audit_log() -> AuditLog:
    return AuditLog(settings.data_dir() / "audit" / "governance.log")


def roster_registry() -> Path:
    return settings.data_dir() / "rosters"


def actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}"


def add_passphrase_file_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--passphrase-file",
        type=Path,
        help=f"read the key passphrase from this file (else ${PASSPHRASE_ENV}, "
        f"${PASSPHRASE_FILE_ENV}, or the terminal)",
    )


def passphrase(args: argparse.Namespace, *, confirm: bool) -> bytes:
    """From --passphrase-file, the environment, or the terminal (in that order); never echoed or logged."""
    path: Path | None = getattr(args, "passphrase_file", None)
    if path is None and os.environ.get(PASSPHRASE_FILE_ENV):
        path = Path(os.environ[PASSPHRASE_FILE_ENV])
    if path is not None:
        try:
            lines = path.read_bytes().splitlines()
        except OSError as exc:
            raise InputError(f"{path}: cannot read passphrase file: {exc.strerror}") from exc
        value = lines[0] if lines else b""
        if not value:
            raise InputError(f"{path}:1: empty passphrase")
        return value
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV].encode("utf-8")
    if not sys.stdin.isatty():
        raise InputError(
            f"no passphrase: set {PASSPHRASE_ENV} or {PASSPHRASE_FILE_ENV}, pass --passphrase-file, "
            "or run on a terminal"
        )
    first = getpass.getpass("Key passphrase: ").encode("utf-8")
    if not first:
        raise InputError("empty passphrase")
    if confirm and getpass.getpass("Repeat passphrase: ").encode("utf-8") != first:
        raise InputError("passphrases do not match")
    return first


def load_signing_key(args: argparse.Namespace, name: str) -> SigningKey:
    store = keystore()
    try:
        secret = passphrase(args, confirm=False) if store.is_encrypted(name) else None
        return store.load(name, secret)
    except KeyStoreError as exc:
        raise InputError(str(exc)) from exc


def read_roster(path: Path) -> Roster:
    try:
        return Roster.from_json(path.read_text(encoding="utf-8"), source=str(path))
    except OSError as exc:
        raise InputError(f"{path}: cannot read roster: {exc.strerror}") from exc
    except ValueError as exc:
        raise InputError(str(exc)) from exc


def register_roster(roster: Roster) -> None:
    """Remember a roster by epoch so `packet approve` and `packet inspect` can find it."""
    folder = roster_registry()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"epoch-{roster.epoch}.json"
    if path.exists():
        known = read_roster(path)
        if known != roster:
            raise InputError(
                f"{path}: another roster is already registered for epoch {roster.epoch} "
                "(a new council needs a new epoch)"
            )
        return
    write_atomic(path, roster.to_json().encode("utf-8"))


def registered_roster(epoch: int) -> Roster | None:
    path = roster_registry() / f"epoch-{epoch}.json"
    return read_roster(path) if path.exists() else None


def roster_for(packet: Packet, explicit: Path | None) -> Roster:
    if explicit is not None:
        roster = read_roster(explicit)
    else:
        found = registered_roster(packet.header.epoch)
        if found is None:
            raise InputError(
                f"no roster of epoch {packet.header.epoch} is registered here; pass --roster ROSTER"
            )
        roster = found
    if roster.epoch != packet.header.epoch:
        raise InputError(f"roster is epoch {roster.epoch}, the packet epoch {packet.header.epoch}")
    return roster


def read_packet(path: Path) -> Packet:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read packet: {exc.strerror}") from exc
    try:
        return Packet.decode(data)
    except DecodeError as exc:
        raise InputError(f"{path}: {exc}") from exc


def write_atomic(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror}") from exc


def next_sequence(epoch: int, requested: int | None) -> int:
    """The ground's per-epoch counter: next number, or record an explicit one. One counter for
    every target, because a node's replay window (per node and epoch) also sees group packets."""
    path = settings.data_dir() / "sequences.json"
    try:
        counters = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: unreadable sequence counters: {exc}") from exc
    key = f"epoch-{epoch}"
    last = int(counters.get(key, 0))
    sequence = last + 1 if requested is None else requested
    counters[key] = max(last, sequence)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, (json.dumps(counters, indent=1, sort_keys=True) + "\n").encode("utf-8"))
    return sequence
