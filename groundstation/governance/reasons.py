"""Why a node refused a packet. The string values are stable: they are printed and logged."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    MALFORMED = "malformed"  # any structural fault: length, magic, field, trailing bytes
    OVERSIZED = "oversized"
    UNSUPPORTED_VERSION = "unsupported_version"
    ALGORITHM_MISMATCH = "algorithm_mismatch"  # not the roster's algorithm (no downgrade)
    WRONG_EPOCH = "wrong_epoch"  # signed for another roster epoch
    WRONG_TARGET = "wrong_target"
    REPLAY = "replay"
    BELOW_QUORUM = "below_quorum"
    UNKNOWN_SIGNER = "unknown_signer"
    DUPLICATE_SIGNER = "duplicate_signer"
    REVOKED_SIGNER = "revoked_signer"
    BAD_SIGNATURE = "bad_signature"
    UNSUPPORTED_PAYLOAD = "unsupported_payload"  # a council-only type (proposal, vote) sent to a node
    BAD_ROTATION = "bad_rotation"  # a roster rotation that does not follow the current roster
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    STATE_ERROR = "state_error"  # replay state unreadable or not writable: fail closed
    INTERNAL_ERROR = "internal_error"  # anything unexpected: fail closed


class DecodeError(ValueError):
    """Strict decoding failed; `reason` says how to report it."""

    def __init__(self, message: str, reason: Reason = Reason.MALFORMED) -> None:
        super().__init__(message)
        self.reason = reason
