"""`groundstation keys`: generate, list and export council keys."""

from __future__ import annotations

import argparse
from typing import Any

from groundstation.cli._governance import add_passphrase_file_option, keystore, passphrase
from groundstation.errors import InputError
from groundstation.governance.algorithms import ALGORITHM_LABELS, Algorithm
from groundstation.governance.keys import SigningKey
from groundstation.governance.keystore import KeyStoreError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("keys", help="council signing keys (ML-DSA)")
    sub = parser.add_subparsers(title="actions", metavar="ACTION", required=True, parser_class=type(parser))

    generate = sub.add_parser("generate", help="make a new key pair (passphrase-encrypted)")
    generate.add_argument("name")
    generate.add_argument("--algorithm", choices=ALGORITHM_LABELS, default="ML-DSA-65")
    generate.add_argument("--no-passphrase", action="store_true", help="store the private key UNENCRYPTED")
    add_passphrase_file_option(generate)
    generate.set_defaults(handler=_generate)

    listing = sub.add_parser("list", help="list the keys in the key store")
    listing.set_defaults(handler=_list)

    export = sub.add_parser("export-public", help="print a public key")
    export.add_argument("name")
    export.add_argument(
        "--format", choices=("pem", "raw"), default="pem", help="raw: FIPS 204 public key, hex"
    )
    export.set_defaults(handler=_export)


def _generate(args: argparse.Namespace) -> int:
    store = keystore()
    try:
        store.private_path(args.name)
        if store.private_path(args.name).exists():
            raise InputError(f"{store.private_path(args.name)}: a key named {args.name!r} already exists")
        secret = None if args.no_passphrase else passphrase(args, confirm=True)
        stored = store.save(args.name, SigningKey.generate(Algorithm.from_label(args.algorithm)), secret)
    except KeyStoreError as exc:
        raise InputError(str(exc)) from exc
    state = "encrypted" if stored.encrypted else "UNENCRYPTED"
    print(
        f"{stored.name}: {stored.public_key.algorithm.label} key {stored.public_key.key_id.hex()} ({state})"
    )
    print(f"private key: {store.private_path(args.name)}")
    return 0


def _list(args: argparse.Namespace) -> int:
    try:
        entries = keystore().entries()
    except KeyStoreError as exc:
        raise InputError(str(exc)) from exc
    for entry in entries:
        state = "encrypted" if entry.encrypted else "unencrypted"
        print(f"{entry.name}\t{entry.public_key.algorithm.label}\t{entry.public_key.key_id.hex()}\t{state}")
    return 0


def _export(args: argparse.Namespace) -> int:
    try:
        public = keystore().public(args.name)
    except KeyStoreError as exc:
        raise InputError(str(exc)) from exc
    if args.format == "raw":
        print(public.raw.hex())
    else:
        print(public.to_pem().decode("ascii"), end="")
    return 0
