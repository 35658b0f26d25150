"""Anti-replay window and its persistence, including crashes around the moment of acceptance."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from groundstation.governance.reasons import Reason
from groundstation.governance.replay import STATE_FILE, WINDOW_SIZE, NodeState, ReplayWindow, StateStore
from groundstation.governance.verifier import NodeIdentity, NodeVerifier
from tests.conftest import REPO
from tests.groundstation.governance.conftest import NOW, Council

CRASH_EXIT = 9

# Verify in a separate process, then die at once: after the state is persisted, before the node
# could act on (or report) the acceptance.
_CRASH_AFTER_VERIFY = """
import os, sys
from datetime import datetime
from pathlib import Path
from groundstation.governance.roster import Roster
from groundstation.governance.verifier import NodeIdentity, NodeVerifier
roster = Roster.from_json(Path(sys.argv[1]).read_text())
verifier = NodeVerifier(NodeIdentity("sat-1"), roster, Path(sys.argv[2]))
verdict = verifier.verify(Path(sys.argv[3]).read_bytes(), datetime.fromisoformat(sys.argv[4]))
os._exit(9 if verdict.accepted else 1)
"""


def test_crash_between_persist_and_accept_cannot_re_accept(council: Council, tmp_path: Path):
    roster_file, packet_file, state = tmp_path / "roster.json", tmp_path / "packet.bin", tmp_path / "state"
    roster_file.write_text(council.roster.to_json())
    packet_file.write_bytes(council.packet().encode())
    proc = subprocess.run(
        [sys.executable, "-c", _CRASH_AFTER_VERIFY, roster_file, state, packet_file, NOW.isoformat()],
        cwd=REPO,
        check=False,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == CRASH_EXIT, proc.stderr
    rebooted = NodeVerifier(NodeIdentity("sat-1"), council.roster, state)
    assert rebooted.verify(packet_file.read_bytes(), NOW).reason == Reason.REPLAY


def test_crash_during_persist_leaves_the_previous_state(council: Council, tmp_path: Path):
    verifier = NodeVerifier(NodeIdentity("sat-1"), council.roster, tmp_path)
    assert verifier.verify(council.packet(sequence=1).encode(), NOW).accepted
    before = (tmp_path / STATE_FILE).read_bytes()
    # A crash mid-write leaves a partial temporary file; the state itself is untouched.
    (tmp_path / (STATE_FILE + ".tmp")).write_bytes(before[: len(before) // 2])
    rebooted = NodeVerifier(NodeIdentity("sat-1"), council.roster, tmp_path)
    assert rebooted.verify(council.packet(sequence=1).encode(), NOW).reason == Reason.REPLAY
    assert rebooted.verify(council.packet(sequence=2).encode(), NOW).accepted


def test_state_file_is_private(council: Council, tmp_path: Path):
    assert (
        NodeVerifier(NodeIdentity("sat-1"), council.roster, tmp_path)
        .verify(council.packet().encode(), NOW)
        .accepted
    )
    assert (tmp_path / STATE_FILE).stat().st_mode & 0o077 == 0


def test_state_round_trips(council: Council, tmp_path: Path):
    store = StateStore(tmp_path, "sat-1")
    state = NodeState("sat-1", council.roster, frozenset({b"\x01" * 32}), {1: ReplayWindow(70, 0b1011)})
    store.save(state)
    assert store.load() == state


@given(st.lists(st.integers(min_value=0, max_value=300), max_size=60))
def test_window_accepts_each_sequence_at_most_once(sequences: list[int]):
    window = ReplayWindow()
    accepted: list[int] = []
    for sequence in sequences:
        if not window.seen(sequence):
            window = window.accept(sequence)
            accepted.append(sequence)
    assert len(accepted) == len(set(accepted))
    # Anything not accepted was either a repeat or older than the window at the time it came.
    for sequence in set(sequences) - set(accepted):
        assert window.seen(sequence)


def test_window_edges():
    window = ReplayWindow().accept(0)
    assert window.seen(0)
    assert not window.seen(1)
    window = window.accept(WINDOW_SIZE + 5)
    assert window.seen(5)
    assert not window.seen(6)
    assert window.seen(WINDOW_SIZE + 5)
    window = window.accept(6)
    assert window.seen(6)
    assert not window.seen(7)
