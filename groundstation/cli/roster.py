"""`groundstation roster`: make and show council rosters (members, quorum k of n, epoch)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from groundstation.cli._governance import keystore, read_roster, register_roster, write_atomic
from groundstation.errors import InputError
from groundstation.governance.keys import PublicKey
from groundstation.governance.keystore import KeyStoreError
from groundstation.governance.roster import Member, Roster


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("roster", help="council rosters")
    sub = parser.add_subparsers(title="actions", metavar="ACTION", required=True, parser_class=type(parser))

    create = sub.add_parser("create", help="write a roster file from member keys")
    create.add_argument(
        "--member",
        action="extend",
        nargs="+",
        required=True,
        metavar="NAME[=PUBLIC_KEY.pem]",
        help="a key in the key store, or NAME=file with a member's public key",
    )
    create.add_argument("--quorum", type=int, required=True, metavar="K")
    create.add_argument("--epoch", type=int, default=1)
    create.add_argument("--output", type=Path, required=True, metavar="ROSTER")
    create.set_defaults(handler=_create)

    show = sub.add_parser("show", help="print a roster")
    show.add_argument("roster", type=Path)
    show.set_defaults(handler=_show)


def _member(spec: str) -> Member:
    name, _, path = spec.partition("=")
    try:
        if path:
            try:
                public = PublicKey.from_pem(Path(path).read_bytes())
            except OSError as exc:
                raise InputError(f"{path}: cannot read public key: {exc.strerror}") from exc
        else:
            public = keystore().public(name)
        return Member(name, public)
    except (ValueError, KeyStoreError) as exc:
        raise InputError(f"--member {spec}: {exc}") from exc


def _create(args: argparse.Namespace) -> int:
    members = tuple(_member(spec) for spec in args.member)
    algorithms = {m.public_key.algorithm for m in members}
    if len(algorithms) != 1:
        raise InputError(f"--member: keys mix algorithms ({', '.join(sorted(a.label for a in algorithms))})")
    try:
        roster = Roster(args.epoch, algorithms.pop(), args.quorum, members)
    except ValueError as exc:
        raise InputError(f"roster: {exc}") from exc
    if args.output.exists():
        raise InputError(f"{args.output}: already exists (will not overwrite a roster)")
    write_atomic(args.output, roster.to_json().encode("utf-8"))
    register_roster(roster)
    print(
        f"{args.output}: epoch {roster.epoch}, {roster.algorithm.label}, "
        f"quorum {roster.quorum} of {roster.size}"
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    roster = read_roster(args.roster)
    print(f"epoch {roster.epoch}  {roster.algorithm.label}  quorum {roster.quorum} of {roster.size}")
    for index, member in enumerate(roster.members):
        print(f"  [{index}] {member.name}\t{member.key_id.hex()}")
    return 0
