"""A node's persisted governance state: current roster, revoked keys, anti-replay windows.

Written atomically (temporary file, fsync, rename, fsync of the directory) before a packet is
accepted, so a crash or reboot at any point can never make the node accept a packet twice. The
windows key on the signed sequence number per (node, epoch), never on signature bytes: ML-DSA
signing is randomized, so the same content can carry many different valid signatures.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from groundstation.governance import wire
from groundstation.governance.roster import Roster

WINDOW_SIZE = 64
STATE_FILE = "governance-state.json"
LOCK_FILE = "governance-state.lock"
STATE_FORMAT = "groundstation-node-state/1"


class StateError(Exception):
    """The state cannot be read or written: the node must refuse everything (fail closed)."""


@dataclass(frozen=True)
class ReplayWindow:
    """Sliding window over sequence numbers: the highest accepted, and a bit per each of the
    WINDOW_SIZE numbers below and including it (bit 0 = highest)."""

    highest: int = -1
    mask: int = 0

    def seen(self, sequence: int) -> bool:
        """True when `sequence` was accepted or is too old to tell (fail closed)."""
        if sequence > self.highest:
            return False
        offset = self.highest - sequence
        return offset >= WINDOW_SIZE or bool(self.mask >> offset & 1)

    def accept(self, sequence: int) -> ReplayWindow:
        if self.seen(sequence):
            raise ValueError(f"sequence {sequence} already seen")
        if sequence > self.highest:
            shift = sequence - self.highest
            mask = ((self.mask << shift) | 1) & ((1 << WINDOW_SIZE) - 1) if shift < WINDOW_SIZE else 1
            return ReplayWindow(sequence, mask)
        return ReplayWindow(self.highest, self.mask | 1 << (self.highest - sequence))


@dataclass(frozen=True)
class NodeState:
    node: str
    roster: Roster | None = None  # adopted through a roster rotation; None: the installed roster
    revoked: frozenset[bytes] = frozenset()
    windows: dict[int, ReplayWindow] = field(default_factory=dict)  # by roster epoch

    def window(self, epoch: int) -> ReplayWindow:
        return self.windows.get(epoch, ReplayWindow())

    def with_window(self, epoch: int, window: ReplayWindow) -> NodeState:
        return replace(self, windows={**self.windows, epoch: window})

    def to_json(self) -> str:
        document = {
            "format": STATE_FORMAT,
            "node": self.node,
            "roster_hex": self.roster.encode().hex() if self.roster else None,
            "revoked": sorted(k.hex() for k in self.revoked),
            "windows": {
                str(e): {"highest": w.highest, "mask": w.mask} for e, w in sorted(self.windows.items())
            },
        }
        return json.dumps(document, indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> NodeState:
        try:
            document = json.loads(text)
            if document["format"] != STATE_FORMAT:
                raise ValueError(f"format {document['format']!r}")
            roster = Roster.decode(bytes.fromhex(document["roster_hex"])) if document["roster_hex"] else None
            windows = {
                int(epoch): ReplayWindow(int(w["highest"]), int(w["mask"]))
                for epoch, w in document["windows"].items()
            }
            node = document["node"]
            if not isinstance(node, str) or not wire.IDENTIFIER.fullmatch(node):
                raise ValueError(f"node {node!r}")
            return cls(node, roster, frozenset(bytes.fromhex(k) for k in document["revoked"]), windows)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateError(f"node state unreadable: {exc}") from exc


class StateStore:
    """The state directory of one node. Cross-process safe (flock) and thread safe."""

    def __init__(self, directory: Path, node: str) -> None:
        self.directory = Path(directory)
        self.node = node
        self._thread_lock = threading.Lock()
        self._cached: tuple[tuple[int, int, int], NodeState] | None = None

    @property
    def path(self) -> Path:
        return self.directory / STATE_FILE

    def load(self) -> NodeState:
        # Parsed once per version of the file: a save renames a new file in, so the identity
        # (inode, size, mtime) changes whenever the content does, whichever process wrote it.
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return NodeState(self.node)
        except OSError as exc:
            raise StateError(f"{self.path}: {exc.strerror}") from exc
        identity = (info.st_ino, info.st_size, info.st_mtime_ns)
        if self._cached is not None and self._cached[0] == identity:
            return self._cached[1]
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return NodeState(self.node)
        except OSError as exc:
            raise StateError(f"{self.path}: {exc.strerror}") from exc
        state = NodeState.from_json(text)
        if state.node != self.node:
            raise StateError(f"{self.path} belongs to node {state.node!r}, not {self.node!r}")
        self._cached = (identity, state)
        return state

    def save(self, state: NodeState) -> None:
        """Atomic and durable: write a temporary file, fsync it, rename over, fsync the directory."""
        temporary = self.path.with_name(self.path.name + ".tmp")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            data = state.to_json().encode("utf-8")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temporary, self.path)
            directory_fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(directory_fd)
            finally:
                os.close(directory_fd)
        except OSError as exc:
            raise StateError(f"{self.path}: cannot persist state: {exc.strerror}") from exc

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the state exclusively (other threads and other processes on this directory)."""
        with self._thread_lock:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                raise StateError(f"{self.directory}: cannot lock state: {exc.strerror}") from exc
            try:
                _flock(fd)
                yield
            finally:
                os.close(fd)  # closing releases the flock


def _flock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # not POSIX: the thread lock is all there is
        return
    fcntl.flock(fd, fcntl.LOCK_EX)
