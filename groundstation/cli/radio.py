"""`groundstation radio list`: the SDR backends and devices this station can use."""

from __future__ import annotations

import argparse
from typing import Any

from radios.soapy import DEFAULT_DRIVERS


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("radio", help="SDR devices: list backends and devices")
    actions = parser.add_subparsers(title="actions", metavar="ACTION", parser_class=type(parser))
    listing = actions.add_parser("list", help="list SDR backends and the devices present")
    listing.add_argument(
        "--driver",
        action="append",
        metavar="NAME",
        help=f"SoapySDR driver to search (repeatable; default: {', '.join(DEFAULT_DRIVERS)})",
    )
    listing.set_defaults(handler=run_list)
    parser.set_defaults(handler=lambda _args: parser.print_help() or 2)


def run_list(args: argparse.Namespace) -> int:
    from radios.sdr_registry import list_radios

    drivers = tuple(args.driver) if args.driver else DEFAULT_DRIVERS
    try:
        listing = list_radios(drivers)
    except ValueError as exc:
        from groundstation.errors import InputError

        raise InputError(f"--driver: {exc}") from None
    width = max(len(item.uri) for item in listing)
    for item in listing:
        mark = " " if item.available else "!"
        print(f"{mark} {item.backend:<8} {item.uri:<{width}}  {item.detail}")
    return 0
