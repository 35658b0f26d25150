"""`groundstation modem encode|decode`: AX.25 frames to 9600 bd G3RUH audio and back (direwolf compatible)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from groundstation.errors import InputError
from radios.ax25 import Frame, FrameError
from radios.g3ruh import G3ruhModulator, demodulate
from radios.wav import WavError, read_wav, write_wav16

MIN_RATE_HZ = 8000
MAX_RATE_HZ = 384_000


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "modem", help="encode AX.25 frames to 9600 bd G3RUH audio, or decode them from a WAV file"
    )
    sub = parser.add_subparsers(title="modem commands", metavar="COMMAND", required=True,
                                parser_class=type(parser))
    enc = sub.add_parser("encode", help="monitor-format lines (SRC>DEST:info) to a 16-bit mono WAV")
    enc.add_argument("--input", required=True, type=Path, help="text file, one frame per line")
    enc.add_argument("--output", required=True, type=Path, help="WAV file to write")
    enc.add_argument("--rate", type=int, default=48_000, help="sample rate in Hz (default 48000)")
    enc.add_argument("--baud", type=int, default=9600, help="bit rate (default 9600)")
    enc.set_defaults(handler=encode)
    dec = sub.add_parser("decode", help="print the frames found in a WAV file")
    dec.add_argument("wav", type=Path, help="WAV file (any PCM or float format, first channel)")
    dec.add_argument("--baud", type=int, default=9600, help="bit rate (default 9600)")
    dec.add_argument("--format", choices=("text", "json"), default="text",
                     help="text: monitor format; json: one object per line")
    dec.set_defaults(handler=decode)


def _check_rates(rate_hz: int, baud: int) -> None:
    if not MIN_RATE_HZ <= rate_hz <= MAX_RATE_HZ:
        raise InputError(f"--rate {rate_hz}: want {MIN_RATE_HZ} to {MAX_RATE_HZ} Hz")
    if not 0 < baud * 4 <= rate_hz:
        raise InputError(f"--baud {baud}: want a positive bit rate of at most a quarter of the sample rate")


def read_monitor_file(path: Path) -> list[Frame]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc.__class__.__name__}: {exc})") from exc
    frames = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            frames.append(Frame.from_monitor(line))
        except FrameError as exc:
            raise InputError(f"{path}:{lineno}: {exc}") from exc
    if not frames:
        raise InputError(f"{path}: no frames (want lines like N0CALL-1>CQ:hello)")
    return frames


def encode(args: argparse.Namespace) -> int:
    _check_rates(args.rate, args.baud)
    frames = read_monitor_file(args.input)
    audio = G3ruhModulator(sample_rate_hz=float(args.rate), baud=float(args.baud)).modulate(frames)
    try:
        write_wav16(args.output, audio, args.rate)
    except OSError as exc:
        raise InputError(f"{args.output}: cannot write ({exc.strerror or exc})") from exc
    print(f"{len(frames)} frames, {audio.size / args.rate:.2f} s at {args.rate} Hz -> {args.output}",
          file=sys.stderr)
    return 0


def decode(args: argparse.Namespace) -> int:
    try:
        samples, rate = read_wav(args.wav)
    except WavError as exc:
        raise InputError(str(exc)) from exc
    _check_rates(rate, args.baud)
    count = 0
    for found in demodulate(samples, float(rate), float(args.baud)):
        try:
            frame = found.frame()
        except FrameError:
            continue  # FCS-valid but not AX.25: nothing to print in these formats
        count += 1
        if args.format == "json":
            record = {
                "source": str(frame.source),
                "destination": str(frame.destination),
                "path": [str(p) + ("*" if p.repeated else "") for p in frame.path],
                "control": frame.control,
                "pid": frame.pid,
                "info_hex": frame.info.hex(),
                "time_s": round(found.end_sample / rate, 6),
                "fixed_bits": found.fixed_bits,
            }
            print(json.dumps(record))
        else:
            print(frame.to_monitor())
    print(f"{count} frames decoded from {args.wav}", file=sys.stderr)
    return 0
