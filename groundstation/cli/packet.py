"""`groundstation packet`: create, approve, inspect and verify governance packets."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from groundstation.cli._governance import (
    actor,
    add_passphrase_file_option,
    audit_log,
    load_signing_key,
    next_sequence,
    read_packet,
    read_roster,
    register_roster,
    roster_for,
    write_atomic,
)
from groundstation.clock import SystemClock, require_utc
from groundstation.errors import InputError
from groundstation.governance.audit import AuditEvent
from groundstation.governance.packet import Packet, Target
from groundstation.governance.payloads import (
    Command,
    KeyRevocation,
    Payload,
    PolicyUpdate,
    Proposal,
    RosterRotation,
    Vote,
    decode_payload,
)
from groundstation.governance.reasons import DecodeError
from groundstation.governance.roster import Roster
from groundstation.governance.signing import approve, build_packet, has_quorum
from groundstation.governance.verifier import NodeIdentity, NodeVerifier

EXIT_ACCEPTED = 0
EXIT_REJECTED = 1
NODE_TYPES = ("command", "policy-update", "key-revocation", "roster-rotation")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("packet", help="governance packets: create, approve, inspect, verify")
    sub = parser.add_subparsers(title="actions", metavar="ACTION", required=True, parser_class=type(parser))

    create = sub.add_parser("create", help="make an unsigned packet for a roster")
    create.add_argument("--roster", type=Path, required=True)
    create.add_argument("--target", required=True, help="NODE, or group:NAME")
    create.add_argument("--type", choices=NODE_TYPES, default="command")
    create.add_argument("--opcode", help="command: operation name")
    create.add_argument("--arg", action="append", default=[], metavar="K=V", help="command argument")
    create.add_argument("--policy-key", help="policy-update: key")
    create.add_argument("--policy-value", help="policy-update: value")
    create.add_argument(
        "--revoke", metavar="KEY_ID", help="key-revocation: hex key id, or a roster member name"
    )
    create.add_argument("--reason", default="", help="key-revocation: why")
    create.add_argument("--new-roster", type=Path, help="roster-rotation: the next roster (epoch + 1)")
    create.add_argument("--valid-for", type=int, default=3600, metavar="SECONDS")
    create.add_argument("--valid-from", help="ISO 8601 UTC time (default: now)")
    create.add_argument("--sequence", type=int, help="default: next of this epoch (all targets)")
    create.add_argument("--output", type=Path, required=True, metavar="PACKET")
    create.set_defaults(handler=_create)

    approve_cmd = sub.add_parser("approve", help="add one council signature")
    approve_cmd.add_argument("packet", type=Path)
    approve_cmd.add_argument("--key", required=True, metavar="NAME")
    approve_cmd.add_argument(
        "--roster", type=Path, help="default: the registered roster of the packet's epoch"
    )
    add_passphrase_file_option(approve_cmd)
    approve_cmd.set_defaults(handler=_approve)

    inspect = sub.add_parser("inspect", help="show a packet (json: what was signed, and every signature)")
    inspect.add_argument("packet", type=Path)
    inspect.add_argument("--format", choices=("text", "json"), default="text")
    inspect.add_argument("--roster", type=Path, help="default: the registered roster of the packet's epoch")
    inspect.set_defaults(handler=_inspect)

    verify = sub.add_parser("verify", help="verify as node NODE would (exit 0 accept, 1 reject)")
    verify.add_argument("packet", type=Path)
    verify.add_argument("--roster", type=Path, required=True)
    verify.add_argument("--node", required=True)
    verify.add_argument("--group", action="append", default=[], help="a node group NODE belongs to")
    verify.add_argument("--state", type=Path, required=True, metavar="DIR", help="the node's replay state")
    verify.add_argument("--at", help="ISO 8601 UTC time to verify at (default: now)")
    verify.set_defaults(handler=_verify)


def _time(text: str | None, option: str) -> datetime:
    if text is None:
        return SystemClock().now()
    try:
        return require_utc(datetime.fromisoformat(text), option)
    except ValueError as exc:
        raise InputError(f"{option} {text!r}: {exc}") from exc


def _payload(args: argparse.Namespace, roster: Roster) -> Payload:
    kind = args.type
    try:
        if kind == "command":
            if not args.opcode:
                raise InputError("--type command needs --opcode")
            arguments: dict[str, str] = {}
            for item in args.arg:
                key, sep, value = item.partition("=")
                if not sep:
                    raise InputError(f"--arg {item!r}: expected K=V")
                if key in arguments:
                    raise InputError(f"--arg {key}: given twice")
                arguments[key] = value
            return Command.create(args.opcode, arguments)
        if kind == "policy-update":
            if args.policy_key is None or args.policy_value is None:
                raise InputError("--type policy-update needs --policy-key and --policy-value")
            return PolicyUpdate(args.policy_key, args.policy_value)
        if kind == "key-revocation":
            if not args.revoke:
                raise InputError("--type key-revocation needs --revoke KEY_ID|MEMBER")
            member = roster.member_named(args.revoke)
            key_id = member.key_id if member else bytes.fromhex(args.revoke)
            return KeyRevocation(key_id, args.reason)
        if args.new_roster is None:
            raise InputError("--type roster-rotation needs --new-roster ROSTER")
        new = read_roster(args.new_roster)
        register_roster(new)
        return RosterRotation(new)
    except ValueError as exc:
        raise InputError(f"--type {kind}: {exc}") from exc


def _create(args: argparse.Namespace) -> int:
    roster = read_roster(args.roster)
    register_roster(roster)
    try:
        target = Target.parse(args.target)
    except ValueError as exc:
        raise InputError(f"--target: {exc}") from exc
    if args.valid_for < 1:
        raise InputError(f"--valid-for {args.valid_for}: at least 1 second")
    if args.sequence is not None and not 0 <= args.sequence < 2**64:
        raise InputError(f"--sequence {args.sequence}: outside 0..2^64-1")
    if args.output.exists():
        raise InputError(f"{args.output}: already exists (will not overwrite a packet)")
    payload = _payload(args, roster)
    valid_from = _time(args.valid_from, "--valid-from")
    sequence = next_sequence(roster.epoch, args.sequence)
    try:
        packet = build_packet(
            roster,
            target,
            payload,
            sequence=sequence,
            valid_from=valid_from,
            valid_for=timedelta(seconds=args.valid_for),
        )
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    write_atomic(args.output, packet.encode())
    audit_log().append(
        AuditEvent.CREATED,
        actor=actor(),
        packet_id=packet.content_id,
        at=SystemClock().now(),
        details={
            "file": str(args.output),
            "type": payload.payload_type.label,
            "target": str(target),
            "epoch": roster.epoch,
            "sequence": sequence,
        },
    )
    print(
        f"{args.output}: {payload.payload_type.label} for {target}, epoch {roster.epoch}, "
        f"sequence {sequence}, needs {roster.quorum} of {roster.size} approvals"
    )
    return 0


def _approve(args: argparse.Namespace) -> int:
    packet = read_packet(args.packet)
    roster = roster_for(packet, args.roster)
    key = load_signing_key(args, args.key)
    try:
        approved = approve(packet, key, roster)
    except ValueError as exc:
        raise InputError(f"{args.packet}: {exc}") from exc
    write_atomic(args.packet, approved.encode())
    log, now = audit_log(), SystemClock().now()
    index = roster.index_of(key.public_key.key_id)
    log.append(
        AuditEvent.APPROVED,
        actor=actor(),
        packet_id=packet.content_id,
        at=now,
        details={"key": args.key, "key_id": key.public_key.key_id.hex(), "signer_index": index},
    )
    count = len(approved.approvals)
    if has_quorum(approved, roster) and not has_quorum(packet, roster):
        log.append(
            AuditEvent.SIGNED,
            actor=actor(),
            packet_id=packet.content_id,
            at=now,
            details={"approvals": count, "quorum": roster.quorum},
        )
    print(f"{args.packet}: approved by {args.key} ({count} of {roster.quorum} needed)")
    return 0


def _payload_json(packet: Packet) -> dict[str, Any]:
    try:
        payload = decode_payload(packet.header.payload_type, packet.payload)
    except DecodeError as exc:
        return {"error": str(exc), "hex": packet.payload.hex()}
    if isinstance(payload, Command):
        return {"opcode": payload.opcode, "arguments": payload.argument_map}
    if isinstance(payload, PolicyUpdate):
        return {"key": payload.key, "value": payload.value}
    if isinstance(payload, KeyRevocation):
        return {"key_id": payload.key_id.hex(), "reason": payload.reason}
    if isinstance(payload, RosterRotation):
        new = payload.roster
        return {
            "epoch": new.epoch,
            "algorithm": new.algorithm.label,
            "quorum": new.quorum,
            "members": [{"name": m.name, "key_id": m.key_id.hex()} for m in new.members],
        }
    if isinstance(payload, Proposal):
        return {"draft_content_id": payload.draft.content_id.hex(), "note": payload.note}
    assert isinstance(payload, Vote)
    return {"subject_id": payload.subject_id.hex(), "decision": payload.decision.name.lower()}


def describe(packet: Packet, roster: Roster | None) -> dict[str, Any]:
    header = packet.header
    signatures = []
    for approval in packet.approvals:
        member = (
            roster.members[approval.signer_index] if roster and approval.signer_index < roster.size else None
        )
        signatures.append(
            {
                "signer_index": approval.signer_index,
                "member": member.name if member else None,
                "key_id": member.key_id.hex() if member else None,
                "public_key_hex": member.public_key.raw.hex() if member else None,
                "signature_hex": approval.signature.hex(),
            }
        )
    return {
        "format_version": header.version,
        "algorithm": header.algorithm.label,
        "payload_type": header.payload_type.label,
        "target": str(header.target),
        "epoch": header.epoch,
        "sequence": header.sequence,
        "valid_from": header.valid_from.isoformat(),
        "valid_until": header.valid_until.isoformat(),
        "content_id": packet.content_id.hex(),
        "payload": _payload_json(packet),
        "quorum": roster.quorum if roster else None,
        "context_hex": packet.context.hex(),
        "signed_hex": packet.signed_bytes.hex(),
        "signatures": signatures,
    }


def _inspect(args: argparse.Namespace) -> int:
    packet = read_packet(args.packet)
    roster = roster_for(packet, args.roster)
    info = describe(packet, roster)
    if args.format == "json":
        print(json.dumps(info, indent=2))
        return 0
    print(
        f"{info['payload_type']} for {info['target']}  ({info['algorithm']}, epoch {info['epoch']}, "
        f"sequence {info['sequence']})"
    )
    print(f"valid {info['valid_from']} .. {info['valid_until']}")
    print(f"payload: {json.dumps(info['payload'])}")
    print(f"content id: {info['content_id']}")
    names = ", ".join(str(s["member"]) for s in info["signatures"]) or "none"
    print(f"approvals: {len(info['signatures'])} of {roster.quorum} needed ({names})")
    return 0


def _verify(args: argparse.Namespace) -> int:
    roster = read_roster(args.roster)
    try:
        data = args.packet.read_bytes()
        node = NodeIdentity(args.node, frozenset(args.group))
    except OSError as exc:
        raise InputError(f"{args.packet}: cannot read packet: {exc.strerror}") from exc
    verdict = NodeVerifier(node, roster, args.state).verify(data, _time(args.at, "--at"))
    if verdict.reason is not None:
        print(f"{verdict.reason.value}: {verdict.detail}")
        return EXIT_REJECTED
    assert verdict.packet is not None
    print(f"accepted: {verdict.packet.header.payload_type.label} sequence {verdict.packet.header.sequence}")
    return EXIT_ACCEPTED
