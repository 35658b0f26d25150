"""Commanding: governance packets queued per node, sent over passes, and their lifecycle."""

from groundstation.commanding.lifecycle import Commander, LifecycleError, NodeReport, describe
from groundstation.commanding.store import (
    TERMINAL,
    CommandRecord,
    CommandState,
    CommandStore,
    CommandStoreError,
    Transition,
)

__all__ = [
    "TERMINAL",
    "CommandRecord",
    "CommandState",
    "CommandStore",
    "CommandStoreError",
    "Commander",
    "LifecycleError",
    "NodeReport",
    "Transition",
    "describe",
]
